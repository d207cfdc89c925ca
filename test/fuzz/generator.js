'use strict'

// The operation generator: from a seed, a run's configuration and an endless
// sequence of operation descriptors (plain data, executed by the runner on
// both databases). The generator never looks at results, so a seed always
// gives the same operations: replaying a seed replays the run.
//
// An operation descriptor is { type, ... }; keys, values and bounds in it are
// already in the encoding the caller passes them in. Iterators and snapshots
// are named by ids; the generator tracks which are open (it knows every
// operation that closes one).

const { Random } = require('./prng')
const { Data, MAX_KEY, toBytes, byteLength, represent } = require('./data')

const SUBLEVEL = 's'
// '!s!': what abstract-level puts before every key of the sublevel.
const SUBLEVEL_PREFIX_BYTES = SUBLEVEL.length + 2
const MAX_OPEN_ITERATORS = 5
const MAX_OPEN_SNAPSHOTS = 3
const READ_ENCODINGS = ['buffer', 'utf8', 'view', 'hex', 'base64']

// The run's configuration, drawn first from the seed.
function configure (rng) {
  return {
    mode: rng.weighted({ buffer: 60, utf8: 25, view: 15 }),
    sublevel: rng.chance(0.5),
    threads: rng.chance(0.7) ? 1 : 2,
    profile: rng.weighted({ small: 40, mixed: 45, heavy: 15 }),
    // Frequent bulk writes of thousands of keys: over 500,000 writes in a
    // run of 1000 operations, where Sophia starts a new log file.
    bulky: rng.chance(0.05),
    storage: storage(rng)
  }
}

// One line for a run's configuration.
function describeConfig (config) {
  const parts = [`${config.mode}${config.sublevel ? '+sublevel' : ''}`, `threads ${config.threads}`, `values ${config.profile}`]
  if (config.bulky) parts.push('bulky')
  if (config.storage !== null) {
    const size = (n) => n >= MIB ? `${n / MIB}M` : n >= KIB ? `${n / KIB}K` : String(n)
    const shown = Object.entries(config.storage).map(([k, v]) => `${k}=${typeof v === 'number' && /Size$/.test(k) ? size(v) : v}`)
    parts.push(`storage ${shown.join(' ')}`)
  }
  return parts.join(', ')
}

const KIB = 1024
const MIB = 1024 * KIB

// Half of the runs use sophia-level's storage options so that Sophia writes
// its node files early (a small cacheSize) and compacts and collects them in
// the background while the run goes on: reads then merge disk and memory.
// null: the defaults (4 GiB of cache: nothing reaches node files).
function storage (rng) {
  if (rng.chance(0.5)) return null
  const options = {
    cacheSize: rng.pick([0, 0, 16 * KIB, 256 * KIB, 4 * MIB]),
    nodeSize: rng.pick([undefined, MIB, MIB, 2 * MIB, 64 * MIB]),
    pageSize: rng.pick([undefined, KIB, 2 * KIB, 8 * KIB, 128 * KIB]),
    compression: rng.pick([undefined, 'none', 'zstd']),
    pageChecksum: rng.pick([undefined, true, false]),
    gcWatermark: rng.pick([undefined, 1, 10, 100]),
    gcPeriod: rng.pick([undefined, 1, 60])
  }
  const io = rng.weighted({ defaults: 60, noMmap: 25, directIo: 15 })
  if (io !== 'defaults') options.mmap = false
  if (io === 'directIo') options.directIo = true
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k]
  return options
}

const PROFILES = {
  small: { large: 0.3, huge: 0 },
  mixed: { large: 1.5, huge: 0.3 },
  heavy: { large: 4, huge: 1 }
}

class Generator {
  constructor (seed) {
    this.rng = new Random(seed)
    this.config = configure(this.rng)
    this.data = new Data(this.rng, this.config.mode, PROFILES[this.config.profile])
    this.step = 0
    this.nextId = 1
    // id → { id, open, target, keyEncoding, options, kind }
    this.iterators = new Map()
    this.snapshots = new Map()
    // Operations to emit before drawing new ones (a check after a deferred open).
    this.queue = []
  }

  // ---------------------------------------------------------------- helpers

  target () {
    return this.config.sublevel && this.rng.chance(0.25) ? 'sub' : 'db'
  }

  keyLimit (target) {
    return target === 'sub' ? MAX_KEY - SUBLEVEL_PREFIX_BYTES : MAX_KEY
  }

  // A key for a write or a read: rarely one over the limit on purpose.
  key (target, pTooLarge = 0.02) {
    const limit = this.keyLimit(target)
    if (this.rng.chance(pTooLarge)) return this.data.tooLargeKey(limit)
    return this.data.key(limit)
  }

  // A key to write, remembered for later reads and writes if it fits.
  writeKey (target, pTooLarge) {
    const key = this.key(target, pTooLarge)
    if (byteLength(key) <= this.keyLimit(target)) this.data.remember(key)
    return key
  }

  open (map) {
    return [...map.values()].filter((h) => h.open)
  }

  closed (map) {
    return [...map.values()].filter((h) => !h.open)
  }

  // A snapshot for a read: mostly none, sometimes an open one, rarely a
  // closed one (whose use both databases must refuse alike).
  snapshotOption () {
    const open = this.open(this.snapshots)
    if (open.length > 0 && this.rng.chance(0.3)) return this.rng.pick(open).id
    const closed = this.closed(this.snapshots)
    if (closed.length > 0 && this.rng.chance(0.02)) return this.rng.pick(closed).id
    return undefined
  }

  readOptions () {
    const options = {}
    const snapshot = this.snapshotOption()
    if (snapshot !== undefined) options.snapshot = snapshot
    if (this.rng.chance(0.1)) options.valueEncoding = this.rng.pick(READ_ENCODINGS)
    return options
  }

  writeOptions () {
    return this.rng.chance(0.03) ? { sync: true } : undefined
  }

  // A bound or seek target in `encoding` (the run's own unless overridden).
  bound (target, encoding) {
    const b = this.data.bound(this.keyLimit(target))
    if (encoding === undefined || encoding === this.config.mode) return b
    return represent(toBytes(b), encoding)
  }

  range (target, encoding) {
    const rng = this.rng
    const range = {}
    const lower = rng.weighted({ none: 40, gt: 25, gte: 30, both: 5 })
    const upper = rng.weighted({ none: 40, lt: 25, lte: 30, both: 5 })
    if (lower === 'gt' || lower === 'both') range.gt = this.bound(target, encoding)
    if (lower === 'gte' || lower === 'both') range.gte = this.bound(target, encoding)
    if (upper === 'lt' || upper === 'both') range.lt = this.bound(target, encoding)
    if (upper === 'lte' || upper === 'both') range.lte = this.bound(target, encoding)
    if (rng.chance(0.4)) range.reverse = true
    const limit = rng.weighted({ none: 50, minusOne: 4, zero: 4, small: 25, ten: 6, hundred: 6, big: 5 })
    if (limit === 'minusOne') range.limit = -1
    else if (limit === 'zero') range.limit = 0
    else if (limit === 'small') range.limit = rng.between(1, 5)
    else if (limit === 'ten') range.limit = 10
    else if (limit === 'hundred') range.limit = 100
    else if (limit === 'big') range.limit = rng.between(900, 2100)
    return range
  }

  // ------------------------------------------------------------ operations

  next () {
    this.step++
    if (this.queue.length > 0 && this.queue[0].at <= this.step) return this.queue.shift().op
    const rng = this.rng
    const openIterators = this.open(this.iterators).length
    const openSnapshots = this.open(this.snapshots).length
    const anyIterators = this.iterators.size > 0
    const type = rng.weighted({
      put: 14,
      del: 5,
      batch: 6,
      chained: 4,
      get: 8,
      getSync: 2,
      getMany: 4,
      has: 3,
      hasMany: 2,
      clear: 1.5,
      'iterator.create': openIterators < MAX_OPEN_ITERATORS ? 6 : 0,
      // Uses of closed iterators are rarer: they fail alike.
      'iterator.next': openIterators > 0 ? 8 : anyIterators ? 0.5 : 0,
      'iterator.nextv': openIterators > 0 ? 5 : anyIterators ? 0.3 : 0,
      'iterator.all': openIterators > 0 ? 2.5 : anyIterators ? 0.2 : 0,
      'iterator.seek': openIterators > 0 ? 4 : anyIterators ? 0.2 : 0,
      'iterator.close': openIterators > 0 ? 1.5 : 0,
      'snapshot.create': openSnapshots < MAX_OPEN_SNAPSHOTS ? 2 : 0,
      'snapshot.close': openSnapshots > 0 ? 1 : 0,
      parallel: 1.5,
      reopen: 0.6,
      check: 0.5,
      // Time for Sophia's background work (flushes, compaction, collection).
      wait: this.config.storage !== null ? 0.7 : 0,
      bulk: this.config.bulky ? 3 : 0.25
    })
    return this[type]()
  }

  put () {
    const target = this.target()
    const key = this.writeKey(target)
    return { type: 'put', target, key, value: this.data.value(), options: this.writeOptions() }
  }

  del () {
    const target = this.target()
    return { type: 'del', target, key: this.key(target), options: this.writeOptions() }
  }

  // A put or del for a batch. In a batch of the root database an operation
  // may name the sublevel (abstract-level's `sublevel` option).
  batchOperation (target, local) {
    const rng = this.rng
    let sublevel = false
    if (target === 'db' && this.config.sublevel && rng.chance(0.15)) sublevel = true
    const keyTarget = sublevel ? 'sub' : target
    let key
    if (local.length > 0 && rng.chance(0.3)) key = rng.pick(local)
    else key = this.writeKey(keyTarget, 0)
    local.push(key)
    const operation = rng.chance(0.65) ? { type: 'put', key, value: this.data.value() } : { type: 'del', key }
    if (sublevel) operation.sublevel = true
    return operation
  }

  batchSize () {
    const size = this.rng.weighted({ empty: 3, one: 15, few: 60, many: 22 })
    if (size === 'empty') return 0
    if (size === 'one') return 1
    return size === 'few' ? this.rng.between(2, 10) : this.rng.between(11, 60)
  }

  // An oversized key at a random place: the whole batch must be refused.
  spoil (operations, target) {
    if (operations.length === 0 || !this.rng.chance(0.04)) return
    const i = this.rng.int(operations.length)
    const operation = operations[i]
    operation.key = this.data.tooLargeKey(this.keyLimit(operation.sublevel ? 'sub' : target))
    if (operation.type === 'clear') operations[i] = { type: 'put', key: operation.key, value: this.data.value() }
  }

  batch () {
    const target = this.target()
    const local = []
    const operations = []
    for (let n = this.batchSize(); n > 0; n--) operations.push(this.batchOperation(target, local))
    this.spoil(operations, target)
    let options = this.writeOptions()
    // An explicit encoding takes abstract-level's path instead of the fast one.
    if (this.rng.chance(0.1)) options = { ...options, keyEncoding: this.config.mode }
    return { type: 'batch', target, operations, options }
  }

  chained () {
    const target = this.target()
    const local = []
    const operations = []
    for (let n = this.batchSize(); n > 0; n--) {
      operations.push(this.rng.chance(0.05) ? { type: 'clear' } : this.batchOperation(target, local))
    }
    this.spoil(operations, target)
    const finish = this.rng.chance(0.07) ? 'close' : 'write'
    return { type: 'chained', target, operations, finish, options: this.writeOptions() }
  }

  // Many small keys at once, so that reads and clears cross the 1000-entry
  // chunks of the native side.
  bulk () {
    const target = this.target()
    const count = this.config.bulky ? this.rng.between(5000, 25000) : this.rng.between(300, 2500)
    const prefix = this.data.atoms(this.rng.between(0, 2))
    const operations = []
    const start = this.rng.int(this.config.bulky ? 50000 : 5000)
    for (let i = 0; i < count; i++) {
      const suffix = 'b' + String(start + i).padStart(6, '0')
      const key = this.data.concat([prefix, this.config.mode === 'utf8' ? suffix : this.data.fromBytes(Buffer.from(suffix))])
      operations.push({ type: 'put', key, value: this.data.fromBytes(Buffer.from(String(i))) })
    }
    for (let i = 0; i < 5; i++) this.data.remember(this.rng.pick(operations).key)
    return { type: 'batch', target, operations, bulk: true }
  }

  get () {
    const target = this.target()
    return { type: 'get', target, key: this.key(target), options: this.readOptions() }
  }

  getSync () {
    const target = this.target()
    return { type: 'getSync', target, key: this.key(target), options: this.readOptions() }
  }

  has () {
    const target = this.target()
    const options = this.readOptions()
    delete options.valueEncoding
    return { type: 'has', target, key: this.key(target), options }
  }

  keys (target, pTooLarge) {
    const keys = []
    for (let n = this.rng.weighted({ none: 3, some: 97 }) === 'none' ? 0 : this.rng.between(1, 10); n > 0; n--) {
      keys.push(keys.length > 0 && this.rng.chance(0.1) ? this.rng.pick(keys) : this.key(target, pTooLarge))
    }
    return keys
  }

  getMany () {
    const target = this.target()
    return { type: 'getMany', target, keys: this.keys(target, 0.005), options: this.readOptions() }
  }

  hasMany () {
    const target = this.target()
    const options = this.readOptions()
    delete options.valueEncoding
    return { type: 'hasMany', target, keys: this.keys(target, 0.005), options }
  }

  clear () {
    const target = this.target()
    const options = this.rng.chance(0.08) ? {} : this.range(target)
    if (options.limit === undefined && this.rng.chance(0.6)) options.limit = this.rng.between(1, 20)
    const snapshot = this.snapshotOption()
    if (snapshot !== undefined) options.snapshot = snapshot
    return { type: 'clear', target, options }
  }

  'iterator.create' () {
    const rng = this.rng
    const target = this.target()
    const kind = rng.weighted({ iterator: 50, keys: 25, values: 25 })
    const keyEncoding = rng.chance(0.08) ? rng.pick(READ_ENCODINGS) : undefined
    const options = this.range(target, keyEncoding)
    if (keyEncoding !== undefined) options.keyEncoding = keyEncoding
    if (rng.chance(0.08)) options.valueEncoding = rng.pick(READ_ENCODINGS)
    if (kind === 'iterator' && rng.chance(0.05)) options.keys = false
    else if (kind === 'iterator' && rng.chance(0.05)) options.values = false
    // Only sophia-level reads it (memory-level ignores it): how many bytes
    // one native read gathers.
    if (rng.chance(0.3)) options.highWaterMarkBytes = rng.pick([0, 1, 10, 100, 1024, 16384, 1e6, Infinity])
    const snapshot = this.snapshotOption()
    if (snapshot !== undefined) options.snapshot = snapshot
    const id = this.nextId++
    this.iterators.set(id, { id, open: true, target, kind, keyEncoding, options })
    return { type: 'iterator.create', id, target, kind, options }
  }

  // An iterator for the next operation: mostly an open one.
  iterator () {
    const open = this.open(this.iterators)
    const closed = this.closed(this.iterators)
    if (open.length > 0 && (closed.length === 0 || this.rng.chance(0.95))) return this.rng.pick(open)
    const handle = this.rng.pick(closed)
    // Try a closed one once or twice, then forget it.
    if (this.rng.chance(0.5)) this.iterators.delete(handle.id)
    return handle
  }

  'iterator.next' () {
    return { type: 'iterator.next', id: this.iterator().id }
  }

  'iterator.nextv' () {
    const size = this.rng.weighted({ small: 70, zero: 5, medium: 15, large: 10 })
    return {
      type: 'iterator.nextv',
      id: this.iterator().id,
      size: size === 'small' ? this.rng.between(1, 10) : size === 'zero' ? 0 : size === 'medium' ? this.rng.between(11, 100) : this.rng.between(500, 1500)
    }
  }

  'iterator.all' () {
    const handle = this.iterator()
    handle.open = false
    return { type: 'iterator.all', id: handle.id }
  }

  'iterator.seek' () {
    const handle = this.iterator()
    const rng = this.rng
    let encoding = handle.keyEncoding
    let options
    if (rng.chance(0.05)) {
      encoding = rng.pick(READ_ENCODINGS)
      options = { keyEncoding: encoding }
    }
    let target
    const own = ['gt', 'gte', 'lt', 'lte'].filter((k) => k in handle.options)
    if (own.length > 0 && rng.chance(0.2) && options === undefined) {
      // Exactly at one of the iterator's own bounds.
      target = handle.options[rng.pick(own)]
    } else {
      target = this.bound(handle.target, encoding)
    }
    return { type: 'iterator.seek', id: handle.id, target, options }
  }

  'iterator.close' () {
    const handle = this.rng.pick(this.open(this.iterators))
    handle.open = false
    return { type: 'iterator.close', id: handle.id }
  }

  'snapshot.create' () {
    const id = this.nextId++
    const target = this.config.sublevel && this.rng.chance(0.2) ? 'sub' : 'db'
    this.snapshots.set(id, { id, open: true, target })
    return { type: 'snapshot.create', id, target }
  }

  'snapshot.close' () {
    const handle = this.rng.pick(this.open(this.snapshots))
    handle.open = false
    // Forget closed snapshots after a while.
    for (const h of this.closed(this.snapshots)) if (h !== handle && this.rng.chance(0.5)) this.snapshots.delete(h.id)
    return { type: 'snapshot.close', id: handle.id }
  }

  // A few reads and writes started together (see Runner#parallel).
  parallel () {
    const operations = []
    for (let n = this.rng.between(2, 6); n > 0; n--) {
      const anyOpen = this.open(this.iterators).length > 0
      const type = this.rng.weighted({
        put: 4,
        del: 2,
        batch: 2,
        get: 4,
        getMany: 2,
        has: 2,
        hasMany: 1,
        'iterator.next': anyOpen ? 2 : 0,
        'iterator.nextv': anyOpen ? 1 : 0
      })
      let op
      if (type === 'iterator.next' || type === 'iterator.nextv') {
        op = { type, id: this.rng.pick(this.open(this.iterators)).id, size: this.rng.between(1, 20) }
      } else {
        op = this[type]()
      }
      operations.push(op)
    }
    return { type: 'parallel', operations }
  }

  wait () {
    return { type: 'wait', ms: this.rng.between(1, 40) }
  }

  reopen () {
    const how = this.rng.weighted({ awaited: 50, deferred: 30, instance: 20 })
    // Closing the database closes its iterators and snapshots.
    for (const h of this.iterators.values()) h.open = false
    for (const h of this.snapshots.values()) h.open = false
    if (how === 'instance') {
      // Handles of the old instance mean nothing to the new one.
      this.iterators.clear()
      this.snapshots.clear()
    }
    if (how !== 'awaited') this.queue.push({ at: this.step + 3, op: { type: 'check' } })
    // A new instance may leave out the options Sophia keeps with the
    // database (compression, nodeSize, pageSize): it opens with those.
    const keptLeftOut = how === 'instance' && this.config.storage !== null && this.rng.chance(0.3)
    return keptLeftOut ? { type: 'reopen', how, keptLeftOut } : { type: 'reopen', how }
  }

  check () {
    return { type: 'check' }
  }
}

module.exports = { Generator, configure, describeConfig, SUBLEVEL, SUBLEVEL_PREFIX_BYTES }
