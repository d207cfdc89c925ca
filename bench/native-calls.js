'use strict'

// Native-call timer: times every call into sophia-level's native binding, so
// that the longest time a single native call held the JS thread can be told
// apart from the harness's own JavaScript (the stall monitor sees both).
//
// The binding is the object `require('node-gyp-build')(<package root>)`
// returns; node-gyp-build loads the .node file with require(), so this is
// the same cached module instance dist/native.js uses, with the same classes.
// Its methods are own properties of the class prototypes that napi defines
// non-writable and non-configurable, so they cannot be replaced in place.
// Instead instances get a stand-in prototype that inherits from the real one
// and shadows each method with a timed wrapper:
//
// - Environment: by replacing Environment.prototype. V8 caches an API
//   class's instance map at its first instantiation, so this only takes
//   effect if no Environment has been created yet in this process;
//   install() checks that it did and throws otherwise.
// - Iterator, Snapshot, Transaction: the binding creates these natively, and
//   they are not reachable before a first instance exists (by which time the
//   map is cached), so the timed Environment#iterator, #snapshot and
//   #transaction give each instance they return the stand-in prototype with
//   Object.setPrototypeOf, after the timed call.
//
// Promise-returning methods (open, close, syncLog) are timed for their
// synchronous part only, the part that holds the JS thread: the wrapper times
// the call, which returns the promise, and does not wait for it.
//
// Installing is for the whole process (a cached map cannot be undone); the
// wrappers record only between start() and stop(), and otherwise call
// straight through. Classic-level and memory-level do not use this binding.

const path = require('path')
const { performance } = require('perf_hooks')

const ROOT = path.join(__dirname, '..')
// Methods whose result is a native instance that gets a timed prototype.
const FACTORIES = new Set(['iterator', 'snapshot', 'transaction'])

class NativeCallTimer {
  constructor () {
    this.current = null
    this.records = new Map() // 'Class#method' -> { count, totalMs, maxMs, workload }
    this.standIns = new Map() // real prototype -> stand-in prototype
    this.installed = false
  }

  /** Wraps the binding's methods; must run before any Environment exists. */
  install () {
    if (this.installed) return this
    const binding = require('node-gyp-build')(ROOT)
    const Environment = binding.Environment
    const standIn = this._standIn(Environment.prototype, 'Environment')
    Environment.prototype = standIn
    // The probe is never opened; it only shows whether V8 took the new
    // prototype (see above).
    if (Object.getPrototypeOf(new Environment()) !== standIn) {
      throw new Error('native-call timer: an Environment was created before install(), its methods cannot be wrapped')
    }
    this.installed = true
    return this
  }

  /** Starts recording, charged to `workload` (see enter()). */
  start (workload = 'open/close') {
    this.current = workload
    return this
  }

  /** Names what runs from now on, as StallMonitor#enter does. */
  enter (workload) {
    this.current = workload
  }

  stop () {
    this.current = null
  }

  /** Forgets everything recorded so far (e.g. during the warm-up). */
  reset () {
    // Zeroed in place: each wrapper holds its record.
    for (const record of this.records.values()) {
      record.count = 0
      record.totalMs = 0
      record.maxMs = 0
      record.workload = null
    }
  }

  // A prototype that inherits from `proto` (a binding class's) and shadows
  // each of its methods with a timed one; one per class, reused.
  _standIn (proto, className) {
    let standIn = this.standIns.get(proto)
    if (standIn !== undefined) return standIn
    standIn = Object.create(proto)
    for (const method of Object.getOwnPropertyNames(proto)) {
      if (method === 'constructor' || typeof proto[method] !== 'function') continue
      Object.defineProperty(standIn, method, {
        value: this._wrap(proto[method], `${className}#${method}`, FACTORIES.has(method)),
        writable: true,
        configurable: true
      })
    }
    this.standIns.set(proto, standIn)
    return standIn
  }

  _wrap (fn, name, factory) {
    const timer = this
    // One record per method, held here rather than looked up on every call.
    const record = { count: 0, totalMs: 0, maxMs: 0, workload: null }
    this.records.set(name, record)
    const wrapped = function () {
      const workload = timer.current
      if (workload === null) {
        const result = Reflect.apply(fn, this, arguments)
        return factory ? timer._adopt(result) : result
      }
      const start = performance.now()
      let result
      try {
        result = Reflect.apply(fn, this, arguments)
      } finally {
        const ms = performance.now() - start
        record.count++
        record.totalMs += ms
        if (ms > record.maxMs) {
          record.maxMs = ms
          record.workload = workload
        }
      }
      return factory ? timer._adopt(result) : result
    }
    Object.defineProperty(wrapped, 'name', { value: fn.name })
    return wrapped
  }

  // Gives a natively created Iterator, Snapshot or Transaction the timed
  // stand-in of its class's prototype (outside the timed call).
  _adopt (instance) {
    if (instance === null || typeof instance !== 'object') return instance
    const proto = Object.getPrototypeOf(instance)
    const standIn = this.standIns.get(proto) ?? this._standIn(proto, proto.constructor?.name ?? 'native')
    Object.setPrototypeOf(instance, standIn)
    return instance
  }

  /**
   * { timer, methods: { 'Class#method': { count, totalMs, meanUs, maxMs,
   * workload } }, top: the `topN` methods with the longest single call }.
   */
  result (topN = 5) {
    const methods = {}
    for (const [name, r] of this.records) {
      if (r.count === 0) continue
      methods[name] = {
        count: r.count,
        totalMs: round(r.totalMs, 3),
        meanUs: r.count > 0 ? round(r.totalMs * 1000 / r.count, 2) : 0,
        maxMs: round(r.maxMs, 3),
        workload: r.workload
      }
    }
    const top = Object.entries(methods)
      .sort(([, a], [, b]) => b.maxMs - a.maxMs)
      .slice(0, topN)
      .map(([method, r]) => ({ method, ...r }))
    return { timer: 'performance.now() around each call (synchronous part only)', methods, top }
  }
}

function round (x, digits) {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

module.exports = { NativeCallTimer }
