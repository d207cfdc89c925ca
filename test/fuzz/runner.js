'use strict'

// Runs one seed: the generator's operations, in the same order, on
// sophia-level and on memory-level, comparing every result. The first
// difference throws a Divergence whose report names the seed, the step, the
// operation, both results and the command that replays the run.

const fs = require('fs')
const os = require('os')
const path = require('path')
// FUZZ_SOPHIA_LEVEL=dir fuzzes another build (such as a checkout of an
// older commit) against the same harness.
const { SophiaLevel } = require(process.env.FUZZ_SOPHIA_LEVEL || '../..')
const { Generator, describeConfig } = require('./generator')
const { Side } = require('./side')
const { createReference, refusal, tooLarge, batchTarget, KEY_TOO_LARGE } = require('./model')
const { show, showOutcome, sameOutcome, explain } = require('./format')
const { byteLength } = require('./data')
const { Random } = require('./prng')

const DEFAULT_STEPS = 1000
// Operations on an iterator recalled in a report.
const HISTORY = 6
const OPERATION_TIMEOUT_MS = 60 * 1000

// Operations sophia-level can only take once open (the others are deferred
// by abstract-level while it opens). Iterators are among them: a deferred
// iterator that reached its end does not restart on seek() (abstract-level
// 3.1.1's DeferredIterator calls the real iterator's _seek(), which leaves
// its `ended` flag set), which memory-level, always open, cannot mirror.
const NEEDS_OPEN = new Set(['getSync', 'chained', 'snapshot.create', 'iterator.create', 'check'])

// Storage options Sophia keeps with a database when creating it.
const KEPT_OPTIONS = ['compression', 'nodeSize', 'pageSize']

// O_DIRECT fails on some file systems (tmpfs): runs that draw the directIo
// option then go without it.
let directIo = null
function directIoWorks () {
  if (directIo !== null) return directIo
  const probe = path.join(os.tmpdir(), `sophia-level-fuzz-direct-${process.pid}`)
  try {
    fs.closeSync(fs.openSync(probe, fs.constants.O_CREAT | fs.constants.O_RDWR | (fs.constants.O_DIRECT ?? 0)))
    directIo = fs.constants.O_DIRECT !== undefined
  } catch {
    directIo = false
  } finally {
    fs.rmSync(probe, { force: true })
  }
  return directIo
}

class Divergence extends Error {
  constructor (report, details) {
    super(report)
    this.name = 'Divergence'
    Object.assign(this, details)
  }
}

class Stats {
  constructor () {
    this.kinds = new Map()
    this.runs = 0
    this.steps = 0
    this.seeds = []
  }

  add (kind, what, n = 1) {
    let counts = this.kinds.get(kind)
    if (counts === undefined) {
      counts = { compared: 0, refused: 0, failedAlike: 0, skipped: 0, tolerated: 0 }
      this.kinds.set(kind, counts)
    }
    counts[what] += n
  }

  merge (other) {
    this.runs += other.runs
    this.steps += other.steps
    this.seeds.push(...other.seeds)
    for (const [kind, counts] of other.kinds) {
      for (const what of Object.keys(counts)) this.add(kind, what, counts[what])
    }
  }

  total () {
    const sum = { compared: 0, refused: 0, failedAlike: 0, skipped: 0, tolerated: 0 }
    for (const counts of this.kinds.values()) for (const what of Object.keys(sum)) sum[what] += counts[what]
    return sum
  }

  // A table: per kind, the operations whose results were compared (of
  // which how many failed alike on both sides, such as uses of closed
  // iterators), and those sophia-level had to refuse (key too large).
  format () {
    const rows = [...this.kinds.entries()].sort((a, b) => a[0] < b[0] ? -1 : 1)
    const sum = this.total()
    const line = (name, c) => `  ${name.padEnd(16)} ${String(c.compared).padStart(9)} ${String(c.failedAlike).padStart(12)} ${String(c.refused).padStart(9)}` +
      (c.skipped > 0 ? `  (${c.skipped} skipped)` : '') + (c.tolerated > 0 ? `  (${c.tolerated} known difference)` : '')
    return [
      `  ${'operation'.padEnd(16)} ${'compared'.padStart(9)} ${'failed alike'.padStart(12)} ${'refused'.padStart(9)}`,
      ...rows.map(([name, c]) => line(name, c)),
      line('total', sum)
    ].join('\n')
  }
}

function withTimeout (promise, what) {
  let timer
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${OPERATION_TIMEOUT_MS / 1000} s`)), OPERATION_TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

// ---------------------------------------------------------------- describing

function showKey (key) {
  return show(key)
}

function showOptions (options) {
  if (options === undefined) return ''
  const parts = []
  for (const k of Object.keys(options)) {
    if (options[k] === undefined) continue
    parts.push(`${k}: ${k === 'snapshot' ? '#' + options[k] : show(options[k])}`)
  }
  return parts.length === 0 ? '' : `, { ${parts.join(', ')} }`
}

function showBatchOperation (o) {
  const sub = o.sublevel ? ' (sublevel)' : ''
  if (o.type === 'clear') return 'clear()'
  if (o.type === 'put') return `put${sub} ${showKey(o.key)} = ${show(o.value)}`
  return `del${sub} ${showKey(o.key)}`
}

function showList (items, max = 12) {
  const shown = items.slice(0, max)
  const rest = items.length > max ? [`… ${items.length - max} more`] : []
  return '[\n      ' + shown.concat(rest).join(',\n      ') + '\n    ]'
}

class Runner {
  constructor (seed, options = {}) {
    this.seed = seed >>> 0
    this.steps = options.steps ?? DEFAULT_STEPS
    this.location = options.location
    this.trace = options.trace ?? null
    this.keep = options.keep === true
    // Report known differences too (see knownDifference()).
    this.strict = options.strict === true
    // A time (Date.now()) past which the run stops early; whether it did.
    this.deadline = options.deadline ?? null
    this.cut = false
    this.generator = new Generator(this.seed)
    this.config = this.generator.config
    // A given list of operations instead of the generator's (shrink.js).
    this.operations = options.operations ?? null
    if (this.operations !== null) this.steps = this.operations.length
    // Snapshot id → whether it is open.
    this.snapshotOpen = new Map()
    this.stats = new Stats()
    // The runner's own choices, apart from the generator's stream.
    this.rng = new Random(this.seed ^ 0x5bd1e995)
    this.step = 0
    // Set for the reopening and check after the last operation.
    this.final = false
    this.pendingOpen = null
    // While judging the results of a 'parallel' operation: it and the index.
    this.group = null
    // id → where and how an iterator or snapshot was created, for reports,
    // and the last operations on it with their (agreed) results.
    this.created = new Map()
    this.history = new Map()
  }

  sophiaOptions (keptLeftOut = false) {
    const { mode, threads, storage } = this.config
    const options = { keyEncoding: mode, valueEncoding: mode, threads, ...storage }
    if (options.directIo && !directIoWorks()) options.directIo = false
    if (keptLeftOut) for (const k of KEPT_OPTIONS) delete options[k]
    return options
  }

  describe (op) {
    const t = op.target === 'sub' ? 'sub' : 'db'
    switch (op.type) {
      case 'put': return `${t}.put(${showKey(op.key)}, ${show(op.value)}${showOptions(op.options)})`
      case 'del': return `${t}.del(${showKey(op.key)}${showOptions(op.options)})`
      case 'get':
      case 'getSync':
      case 'has':
        return `${t}.${op.type}(${showKey(op.key)}${showOptions(op.options)})`
      case 'getMany':
      case 'hasMany':
        return `${t}.${op.type}(${showList(op.keys.map(showKey))}${showOptions(op.options)})`
      case 'batch':
        if (op.bulk) {
          return `${t}.batch(bulk: ${op.operations.length} puts, ${showKey(op.operations[0].key)} … ${showKey(op.operations[op.operations.length - 1].key)})`
        }
        return `${t}.batch(${showList(op.operations.map(showBatchOperation))}${showOptions(op.options)})`
      case 'chained':
        return `${t}.batch() chained: ${showList(op.operations.map(showBatchOperation))}, then ${op.finish}(${op.options ? show(op.options) : ''})`
      case 'clear': return `${t}.clear(${showOptions(op.options).slice(2)})`
      case 'iterator.create':
        return `iterator #${op.id} = ${t}.${op.kind}(${showOptions(op.options).slice(2)})`
      case 'iterator.next': return `iterator #${op.id}.next()`
      case 'iterator.nextv': return op.requested === undefined
        ? `iterator #${op.id}.nextv(${op.size})`
        : `iterator #${op.id}.nextv(${op.requested}) (${op.size} items on sophia-level, compared with memory-level's nextv(${op.size}))`
      case 'iterator.all': return `iterator #${op.id}.all()`
      case 'iterator.seek': return `iterator #${op.id}.seek(${showKey(op.target)}${op.options ? ', ' + show(op.options) : ''})`
      case 'iterator.close': return `iterator #${op.id}.close()`
      case 'snapshot.create': return `snapshot #${op.id} = ${t}.snapshot()`
      case 'snapshot.close': return `snapshot #${op.id}.close()`
      case 'reopen': return `reopen sophia-level (${op.how}: ${{
        awaited: 'await close(), await open()',
        deferred: 'await close(), open() not awaited, next operations deferred',
        instance: 'await close(), a new SophiaLevel on the same location'
      }[op.how]}${op.keptLeftOut ? ', without the options Sophia keeps' : ''})`
      case 'wait': return `wait ${op.ms} ms`
      case 'check': return 'check: every entry of the database (db.iterator().all()) on both sides'
      case 'parallel': return `together, without waiting: ${showList(op.operations.map((o) => this.describe(o)), 20)}`
      default: return JSON.stringify(op)
    }
  }

  // The creation of the iterator or snapshot an operation uses.
  context (op) {
    const lines = []
    const ids = new Set()
    if (op.id !== undefined && op.type !== 'iterator.create' && op.type !== 'snapshot.create') ids.add(op.id)
    if (op.options?.snapshot !== undefined) ids.add(op.options.snapshot)
    for (const id of ids) {
      const created = this.created.get(id)
      if (created === undefined) continue
      lines.push(`  #${id} was created at step ${created.step}: ${created.description}`)
      const history = this.history.get(id) ?? []
      if (history.length > 0) {
        lines.push(`  then, on #${id}${history.length === HISTORY ? ` (the last ${HISTORY})` : ''}:`)
        for (const h of history) lines.push(`    step ${h.step}: ${h.description}  →  ${h.result}`)
      }
      if (created.snapshot !== undefined) {
        const snap = this.created.get(created.snapshot)
        if (snap !== undefined) lines.push(`  #${created.snapshot} was created at step ${snap.step}: ${snap.description}`)
      }
    }
    return lines
  }

  diverge (op, summary, expected, actual, extra = []) {
    const lines = [
      `FUZZ DIVERGENCE: ${summary}`,
      `  seed ${this.seed} (0x${this.seed.toString(16)}), ` +
        (this.final ? `after the last step (${this.steps}): the final reopen and check; ` : `step ${this.step} of ${this.steps}; `) +
        `run: ${describeConfig(this.config)}`,
      `  sophia-level options: ${JSON.stringify(this.sophiaOptions())}`,
      `  operation: ${this.describe(op)}`,
      ...this.context(op)
    ]
    if (this.group !== null) {
      lines.push(`  (operation ${this.group.index + 1} of ${this.group.op.operations.length} started together, without waiting:`)
      for (const o of this.group.op.operations) lines.push(`     ${o === this.group.op.operations[this.group.index] ? '>' : ' '} ${this.describe(o)}`)
      lines.push('  )')
    }
    if (expected?.label !== undefined) lines.push(`  expected:                ${expected.label}`)
    else if (expected !== undefined) lines.push(`  memory-level (expected): ${showOutcome(expected)}`)
    if (actual !== undefined) lines.push(`  sophia-level (actual):   ${showOutcome(actual)}`)
    if (expected?.ok && actual?.ok) lines.push(...explain(expected.value, actual.value).map((l) => '    ' + l))
    for (const outcome of [actual, expected]) {
      if (outcome && !outcome.ok && outcome.error && !/^LEVEL_(ITERATOR|SNAPSHOT)_NOT_OPEN$/.test(outcome.code)) {
        const frames = String(outcome.error.stack).split('\n').slice(1, 4).map((l) => l.trim())
        lines.push(`  stack (${outcome === actual ? 'sophia-level' : 'memory-level'}): ${frames.join(' ← ')}`)
      }
    }
    lines.push(...extra)
    if (this.operations === null) {
      lines.push(`  replay: node test/fuzz/run.js --seed=${this.seed} --steps=${this.final ? this.steps : this.step}` +
        '   (--trace prints every operation, --shrink looks for the fewest that still diverge)')
    } else {
      lines.push(`  (operation ${this.step} of a list of ${this.operations.length} picked from the seed's by --shrink)`)
    }
    return new Divergence(lines.join('\n'), { seed: this.seed, step: this.step, operation: op, summary })
  }

  // ------------------------------------------------------------------ running

  async run () {
    fs.rmSync(this.location, { recursive: true, force: true })
    this.sophia = new Side('sophia-level', new SophiaLevel(this.location, this.sophiaOptions()), this.config.mode)
    this.memory = new Side('memory-level', createReference(this.config.mode), this.config.mode)
    let failed = true
    try {
      for (const side of [this.sophia, this.memory]) {
        await side.db.open()
        await side.sub.open()
      }
      for (this.step = 1; this.step <= this.steps; this.step++) {
        if (this.deadline !== null && Date.now() > this.deadline) {
          // Out of time: the run ends here, checked as any other.
          this.steps = this.step - 1
          this.cut = true
          break
        }
        const op = this.operations !== null ? this.operations[this.step - 1] : this.generator.next()
        if (this.trace !== null) this.trace(`${String(this.step).padStart(6)}  ${this.describe(op)}`)
        await withTimeout(this.execute(op), `step ${this.step} (${op.type})`).catch((err) => {
          if (err instanceof Divergence) throw err
          throw this.diverge(op, `the harness failed: ${err.message}`, undefined, undefined,
            ['  stack: ' + String(err.stack).split('\n').slice(0, 6).join('\n    ')])
        })
        this.stats.steps++
      }
      // At the end, the data must survive one more reopening.
      this.step = this.steps
      this.final = true
      await withTimeout(this.execute({ type: 'reopen', how: 'instance' }), 'the final reopen')
      await withTimeout(this.execute({ type: 'check' }), 'the final check')
      failed = false
    } finally {
      await this.teardown(failed)
    }
    this.stats.runs++
    this.stats.seeds.push(this.seed)
    return this.stats
  }

  async teardown (failed) {
    const quietly = (promise) => withTimeout(Promise.resolve(promise), 'closing').catch(() => {})
    await quietly(this.pendingOpen)
    await quietly(this.sophia.db.close())
    await quietly(this.memory.db.close())
    if (failed && this.keep) return
    fs.rmSync(this.location, { recursive: true, force: true })
  }

  async openReady (op) {
    if (this.pendingOpen === null) return
    const pending = this.pendingOpen
    this.pendingOpen = null
    const err = await pending
    if (err !== null) {
      throw this.diverge(op, 'sophia-level failed to reopen', undefined, { ok: false, code: err.code, message: err.message, error: err })
    }
  }

  async execute (op) {
    if (NEEDS_OPEN.has(op.type)) await this.openReady(op)
    switch (op.type) {
      case 'reopen': return this.reopen(op)
      case 'check': return this.check(op, 'check')
      case 'wait':
        await new Promise((resolve) => setTimeout(resolve, op.ms))
        this.stats.add('wait', 'compared')
        return
      case 'chained': return this.chained(op)
      case 'parallel': return this.parallel(op)
      default: return this.simple(op)
    }
  }

  kind (op) {
    return op.bulk ? 'batch (bulk)' : op.type
  }

  // Sophia-level must refuse with SOPHIA_KEY_TOO_LARGE.
  expectRefusal (op, actual, why) {
    if (actual.ok || actual.code !== KEY_TOO_LARGE) {
      throw this.diverge(op, `sophia-level should refuse ${why} with ${KEY_TOO_LARGE}`,
        { label: `a rejection with ${KEY_TOO_LARGE} (memory-level, which has no key limit, does not run it)` }, actual)
    }
  }

  async simple (op) {
    const actual = await this.sophia[op.type](op)
    const plan = this.plan(op, actual)
    const expected = plan.refused === null ? await this.memory[plan.op.type](plan.op) : null
    await this.judge(plan, actual, expected)
  }

  // Operations started together, without waiting: first all of them on
  // sophia-level, then all of them on memory-level. Point reads and writes
  // apply in call order on both, so results must still agree one by one.
  async parallel (op) {
    const actuals = await Promise.all(op.operations.map((o) => this.sophia[o.type](o)))
    const plans = op.operations.map((o, i) => this.plan(o, actuals[i]))
    const expecteds = await Promise.all(plans.map((plan) => plan.refused === null ? this.memory[plan.op.type](plan.op) : null))
    for (let i = 0; i < plans.length; i++) {
      this.group = { op, index: i }
      await this.judge(plans[i], actuals[i], expecteds[i])
    }
    this.group = null
    this.stats.add('parallel', 'compared')
  }

  // What memory-level is to do, once sophia-level's result is known:
  // { op, refused } where refused says why sophia-level had to refuse (and
  // memory-level is not asked), or is null.
  plan (op, actual) {
    if (op.type === 'iterator.nextv' && actual.ok && actual.value.length > 0 && actual.value.length < op.size) {
      // nextv(size) may yield fewer than `size` items (sophia-level stops at
      // highWaterMarkBytes, or at the end of what it fetched), but not none
      // before the end: memory-level, which always yields all it can, is
      // asked for as many.
      op = { ...op, size: actual.value.length, requested: op.size }
    }
    // With a closed snapshot, abstract-level refuses before the key is looked
    // at: memory-level must then fail alike.
    const closedSnapshot = op.options?.snapshot !== undefined && !this.isOpenSnapshot(op.options.snapshot) &&
      actual.code === 'LEVEL_SNAPSHOT_NOT_OPEN'
    const why = closedSnapshot ? null : refusal(op)
    return { op, refused: why }
  }

  async judge ({ op, refused }, actual, expected) {
    if (refused !== null) {
      this.expectRefusal(op, actual, refused)
      this.stats.add(this.kind(op), 'refused')
      if (op.type === 'batch') await this.verifyUntouched(op, op.operations.map((o) => ({ key: o.key, target: batchTarget(op, o) })))
      if (op.type === 'put' || op.type === 'del') await this.verifyUntouched(op, [])
      return
    }
    if (expected.skipped || actual.skipped) {
      if (!(expected.skipped && actual.skipped)) throw this.diverge(op, 'a handle exists on one side only', expected, actual)
      this.stats.add(this.kind(op), 'skipped')
      return
    }
    if (!sameOutcome(expected, actual)) {
      if (this.knownDifference(op, expected, actual)) {
        await this.memory.iterators.get(op.id).close()
        this.memory.iterators.delete(op.id)
        this.stats.add(this.kind(op), 'tolerated')
        return
      }
      throw this.diverge(op, `${op.type} returned different results`, expected, actual)
    }
    this.stats.add(this.kind(op), expected.ok ? 'compared' : 'failedAlike')
    if (op.type.startsWith('iterator.') && op.type !== 'iterator.create') {
      const history = this.history.get(op.id) ?? []
      history.push({ step: this.step, description: this.describe(op), result: showOutcome(expected).slice(0, 200) })
      if (history.length > HISTORY) history.shift()
      this.history.set(op.id, history)
    }
    if (op.type === 'snapshot.create' && expected.ok) this.snapshotOpen.set(op.id, true)
    if (op.type === 'snapshot.close') this.snapshotOpen.set(op.id, false)
    if (expected.ok && (op.type === 'iterator.create' || op.type === 'snapshot.create')) {
      const created = { step: this.step, description: this.describe(op) }
      if (op.options?.snapshot !== undefined) created.snapshot = op.options.snapshot
      this.created.set(op.id, created)
    }
  }

  // A difference from memory-level (and classic-level) that sophia-level
  // makes on purpose (iterator.ts), tolerated and counted: an iterator with a
  // closed snapshot throws LEVEL_SNAPSHOT_NOT_OPEN from db.iterator() itself
  // rather than from its first read (see repro/iterator-closed-snapshot.js).
  knownDifference (op, expected, actual) {
    if (this.strict) return false
    return op.type === 'iterator.create' && expected.ok && !actual.ok && actual.sync &&
      actual.code === 'LEVEL_SNAPSHOT_NOT_OPEN' && op.options.snapshot !== undefined &&
      this.memory.snapshots.has(op.options.snapshot) && !this.isOpenSnapshot(op.options.snapshot)
  }

  isOpenSnapshot (id) {
    return this.snapshotOpen.get(id) === true
  }

  // After a refused write: the keys it named read the same on both sides
  // (nothing of it was applied), and so does everything else now and then.
  async verifyUntouched (op, keys) {
    const byTarget = { db: [], sub: [] }
    for (const { key, target } of keys) if (!tooLarge(key, target)) byTarget[target].push(key)
    for (const target of ['db', 'sub']) {
      if (byTarget[target].length === 0) continue
      const read = { type: 'getMany', target, keys: byTarget[target], options: undefined }
      const expected = await this.memory.getMany(read)
      const actual = await this.sophia.getMany(read)
      if (!sameOutcome(expected, actual)) {
        throw this.diverge(op, `after the refused ${op.type}, ${target}.getMany() of its other keys differs: it was partly applied`, expected, actual)
      }
      this.stats.add('verify', 'compared')
    }
    if (this.rng.chance(0.2) && this.pendingOpen === null) await this.check(op, 'verify')
  }

  async chained (op) {
    const start = (side) => {
      try {
        return { ok: true, batch: side.chainedStart(op) }
      } catch (err) {
        return { ok: false, code: err.code, message: err.message, sync: true, error: err }
      }
    }
    const a = start(this.sophia)
    const e = start(this.memory)
    if (!a.ok || !e.ok) {
      if (a.ok) await a.batch.close()
      if (e.ok) await e.batch.close()
      if (!sameOutcome(e, a)) throw this.diverge(op, 'db.batch() differs', e, a)
      this.stats.add('chained', 'failedAlike')
      return
    }
    const sb = a.batch
    const mb = e.batch
    // Whether an operation with an oversized key was taken by sophia-level
    // since the last clear(): its write() must then be refused.
    let oversized = false
    let anyOversized = false
    const keys = []
    for (let i = 0; i < op.operations.length; i++) {
      const operation = op.operations[i]
      const big = operation.type !== 'clear' && tooLarge(operation.key, batchTarget(op, operation))
      const actual = await this.sophia.chainedAdd(sb, operation)
      if (operation.type !== 'clear') keys.push({ key: operation.key, target: batchTarget(op, operation) })
      if (big) {
        // Refusing it at once is as good as refusing the write.
        if (!actual.ok) this.expectRefusal(op, actual, `operations[${i}] (${byteLength(operation.key)} bytes)`)
        else oversized = anyOversized = true
        continue
      }
      if (operation.type === 'clear') oversized = false
      const expected = await this.memory.chainedAdd(mb, operation)
      if (!sameOutcome(expected, actual)) {
        throw this.diverge(op, `chained batch: operations[${i}] (${operation.type}) differs`, expected, actual)
      }
    }
    if (!anyOversized && sb.length !== mb.length) {
      throw this.diverge(op, 'chained batch: length differs', { ok: true, value: mb.length }, { ok: true, value: sb.length })
    }
    if (oversized && op.finish === 'write') {
      const actual = await this.sophia.chainedFinish(sb, op)
      this.expectRefusal(op, actual, 'a chained batch holding a key over the limit')
      await sb.close()
      await mb.close()
      this.stats.add('chained', 'refused')
      await this.verifyUntouched(op, keys)
      return
    }
    const actual = await this.sophia.chainedFinish(sb, op)
    const expected = await this.memory.chainedFinish(mb, op)
    if (!sameOutcome(expected, actual)) throw this.diverge(op, `chained batch ${op.finish}() differs`, expected, actual)
    this.stats.add('chained', expected.ok ? 'compared' : 'failedAlike')
  }

  async check (op, kind) {
    const expected = await this.memory.contents()
    const actual = await this.sophia.contents()
    if (!sameOutcome(expected, actual)) {
      throw this.diverge(op, kind === 'check' ? 'the contents of the databases differ' : `after the refused ${op.type}, the contents of the databases differ`, expected, actual)
    }
    this.stats.add(kind, 'compared')
  }

  async reopen (op) {
    await this.openReady(op)
    const sophia = this.sophia
    await sophia.db.close()
    for (const id of this.snapshotOpen.keys()) this.snapshotOpen.set(id, false)
    // memory-level stays open: its iterators and snapshots are closed as
    // db.close() closed sophia-level's.
    await this.memory.closeHandles()
    if (op.how === 'instance') {
      sophia.forgetHandles()
      this.memory.forgetHandles()
      sophia.attach(new SophiaLevel(this.location, this.sophiaOptions(op.keptLeftOut === true)))
    }
    // A sublevel stays closed when its database reopens, until opened; its
    // open() waits for the database's (and its operations are deferred).
    const opening = Promise.all([sophia.db.open(), sophia.sub.open()])
    if (op.how === 'awaited') {
      await opening
      this.stats.add('reopen', 'compared')
      await this.check(op, 'check')
      return
    }
    this.pendingOpen = opening.then(() => null, (err) => err)
    this.stats.add('reopen', 'compared')
  }
}

async function runSeed (seed, options) {
  return new Runner(seed, options).run()
}

module.exports = { Runner, runSeed, Stats, Divergence, DEFAULT_STEPS }
