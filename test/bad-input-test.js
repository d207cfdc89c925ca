'use strict'

// Bad input, systematically: every public method of SophiaLevel, of its
// iterators, snapshots and transactions, and of SophiaEnv, called with wrong
// types (numbers, NaN, objects, null, undefined, symbols, functions, arrays,
// booleans, bigints, empty strings, binary views that are not Uint8Arrays)
// and with encodings that are unknown, throw or return what is not bytes.
//
// Each call either works as abstract-level defines it (it turns most keys,
// values and range bounds into strings and ignores options that are not
// objects) or fails with a TypeError, a RangeError or a ModuleError whose code
// is LEVEL_* or SOPHIA_*: never a crash, a hang or an uncoded Error. What goes
// through abstract-level's front end is compared with memory-level, which
// shares it, call by call; the data stored beforehand is compared at the end.
// errors-test.js, limits-test.js, lock-test.js, close-test.js,
// options-test.js and transaction-test.js hold the cases this file leaves out.

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawn, execFileSync } = require('child_process')
const ModuleError = require('module-error')
const { MemoryLevel } = require('memory-level')
const { SophiaLevel, SophiaEnv } = require('..')
const { tempLocation } = require('./common')

const HANG_MS = 5000
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const tryOpen = path.join(__dirname, 'fixtures', 'try-open.js')

// Keys that wrong-typed range bounds turn into (String(42), String({}),
// String(true)) are among them, so that ranges select something.
const SEED = [['42', 'n'], ['[object Object]', 'o'], ['a', '1'], ['b', '2'], ['seed/0', 'v0'], ['seed/1', 'v1'], ['true', 't']]

function wrongValues () {
  return [
    ['a number', 42], ['NaN', NaN], ['an object', {}], ['a null-prototype object', Object.create(null)],
    ['null', null], ['undefined', undefined], ['a symbol', Symbol('s')], ['a function', function f () {}],
    ['an array', ['a']], ['an empty array', []], ['a boolean', true], ['a bigint', 10n], ['an empty string', ''],
    ['an ArrayBuffer', new ArrayBuffer(2)], ['a Uint16Array', new Uint16Array(2)], ['a Date', new Date(0)]
  ]
}

class Hang extends Error {}

// Runs a call, awaiting what it returns if that is a promise, within HANG_MS.
async function settle (call) {
  let timer
  try {
    let value = call()
    if (value !== null && typeof value === 'object' && typeof value.then === 'function') {
      const hang = new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Hang()), HANG_MS) })
      value = await Promise.race([value, hang])
    }
    return { ok: true, value }
  } catch (error) {
    return { ok: false, error }
  } finally {
    clearTimeout(timer)
  }
}

// 'hang', 'TypeError', 'RangeError', a LEVEL_*/SOPHIA_* code, or 'uncoded'.
function kindOf (error) {
  if (error instanceof Hang) return 'hang'
  if (error instanceof TypeError) return 'TypeError'
  if (error instanceof RangeError) return 'RangeError'
  if (error instanceof ModuleError && /^(LEVEL|SOPHIA)_[A-Z_]+$/.test(error.code)) return error.code
  return `uncoded ${error && error.name}: ${error && error.message}`
}

function show (value) {
  return JSON.stringify(value, (key, v) => {
    if (v === undefined) return '<undefined>'
    if (v instanceof Uint8Array || (v && v.type === 'Buffer' && Array.isArray(v.data))) return 'bytes:' + Buffer.from(v.data ?? v).toString('hex')
    return v
  }) ?? '<undefined>'
}

function describe (result, withValue = true) {
  if (!result.ok) return 'fails with ' + kindOf(result.error)
  return withValue ? 'gives ' + show(result.value) : 'works'
}

// A refusal must be one of the acceptable kinds (or exactly `expected`).
function assertHandled (t, label, result, expected) {
  const kind = result.ok ? 'ok' : kindOf(result.error)
  if (expected !== undefined) {
    const allowed = [].concat(expected)
    t.ok(allowed.includes(kind), `${label}: ${kind} (expected ${allowed.join(' or ')})`)
  } else {
    t.ok(kind === 'ok' || kind === 'TypeError' || kind === 'RangeError' || /^(LEVEL|SOPHIA)_/.test(kind), `${label}: ${kind}`)
  }
}

async function seeded (t, options) {
  const db = new SophiaLevel(tempLocation(), options)
  const mem = new MemoryLevel(options)
  await db.open()
  for (const each of [db, mem]) await each.batch(SEED.map(([key, value]) => ({ type: 'put', key, value })))
  t.teardown(async () => {
    await db.close()
    await mem.close()
  })
  return { db, mem }
}

// The same call on sophia-level and on memory-level: the same result or the
// same kind of error, and never an uncoded error or a hang.
async function sameAsMemory (t, label, pair, call) {
  const ours = await settle(() => call(pair.db))
  const theirs = await settle(() => call(pair.mem))
  const kind = ours.ok ? 'ok' : kindOf(ours.error)
  if (kind === 'hang' || kind.startsWith('uncoded')) t.fail(`${label}: ${kind}`)
  t.is(describe(ours), describe(theirs), `${label}: ${describe(ours)}`)
}

async function assertUnchanged (t, db) {
  t.same(await db.iterator().all(), SEED, 'the stored data is unchanged')
}

async function drain (iterator, how) {
  try {
    if (how === 'next') return [await iterator.next(), await iterator.next()]
    if (how === 'nextv') return [await iterator.nextv(2), await iterator.nextv(1000)]
    return await iterator.all()
  } finally {
    await iterator.close()
  }
}

// With a batch: closes it even when a call on it throws.
async function withChainedBatch (db, fn) {
  const batch = db.batch()
  try {
    return await fn(batch)
  } finally {
    if (batch.db.status === 'open') await batch.close()
  }
}

test('constructors and repair(): a location that is not a non-empty string is a TypeError', async function (t) {
  for (const [name, value] of wrongValues()) {
    if (value === '') continue // in errors-test.js for SophiaLevel
    assertHandled(t, `new SophiaLevel(${name})`, await settle(() => new SophiaLevel(value)), 'TypeError')
    assertHandled(t, `new SophiaEnv(${name})`, await settle(() => new SophiaEnv(value)), 'TypeError')
    assertHandled(t, `SophiaLevel.repair(${name})`, await settle(() => SophiaLevel.repair(value)), 'TypeError')
  }
  assertHandled(t, "new SophiaEnv('')", await settle(() => new SophiaEnv('')), 'TypeError')
  assertHandled(t, "SophiaLevel.repair('')", await settle(() => SophiaLevel.repair('')), 'TypeError')
})

// Valid values per option, left out of the sweep.
const OPTION_CHECKS = {
  threads: (v) => Number.isInteger(v) && v >= 1 && v <= 64,
  logPath: (v) => typeof v === 'string' && v !== '',
  sync: (v) => typeof v === 'boolean',
  backupPath: (v) => typeof v === 'string' && v !== '',
  compression: (v) => v === 'none' || v === 'zstd',
  nodeSize: (v) => Number.isInteger(v) && v >= 1024 * 1024,
  pageSize: (v) => Number.isInteger(v) && v >= 1024,
  pageChecksum: (v) => typeof v === 'boolean',
  mmap: (v) => typeof v === 'boolean',
  directIo: (v) => v === false,
  cacheSize: (v) => Number.isInteger(v) && v >= 0,
  gcWatermark: (v) => Number.isInteger(v) && v >= 1 && v <= 100,
  gcPeriod: (v) => Number.isInteger(v) && v >= 1
}
const ENVIRONMENT_OPTIONS = ['threads', 'logPath', 'sync', 'backupPath']

function namesOption (name) {
  return (error) => (error instanceof TypeError || error instanceof RangeError) && error.message.includes(`'${name}'`)
}

test('constructor options: each wrong value is a TypeError or RangeError naming the option, before anything is created', function (t) {
  const location = tempLocation()
  for (const [option, valid] of Object.entries(OPTION_CHECKS)) {
    for (const [name, value] of wrongValues()) {
      if (value === undefined || valid(value)) continue
      t.throws(() => new SophiaLevel(location, { [option]: value }), namesOption(option), `new SophiaLevel(location, { ${option}: ${name} })`)
      if (ENVIRONMENT_OPTIONS.includes(option)) {
        t.throws(() => new SophiaEnv(location, { [option]: value }), namesOption(option), `new SophiaEnv(location, { ${option}: ${name} })`)
      } else {
        t.throws(() => new SophiaEnv(location).database('db', { [option]: value }), namesOption(option), `env.database(name, { ${option}: ${name} })`)
      }
    }
  }
  // backupPath is an environment option too, but env.database() ignores it
  // instead of refusing it: left out here.
  for (const option of ['threads', 'logPath', 'sync']) {
    for (const [name, value] of wrongValues()) {
      if (value === undefined) continue
      t.throws(() => new SophiaEnv(location).database('db', { [option]: value }), /belongs to the environment/, `env.database(name, { ${option}: ${name} }): an environment option`)
    }
  }
  for (const [name, value] of wrongValues()) {
    if (value === undefined || value === null || value === '' || Number.isNaN(value)) continue // abstract-level's default encoding
    for (const option of ['keyEncoding', 'valueEncoding']) {
      t.throws(() => new SophiaLevel(location, { [option]: value }), TypeError, `new SophiaLevel(location, { ${option}: ${name} })`)
      t.throws(() => new SophiaEnv(location).database('db', { [option]: value }), TypeError, `env.database(name, { ${option}: ${name} })`)
    }
  }
  for (const option of ['keyEncoding', 'valueEncoding']) {
    t.throws(() => new SophiaLevel(location, { [option]: 'no-such-encoding' }), (err) => err.code === 'LEVEL_ENCODING_NOT_FOUND', `${option}: an unknown name is LEVEL_ENCODING_NOT_FOUND`)
  }
  t.notOk(fs.existsSync(location), 'nothing was created')
  t.end()
})

test('constructor and open() options abstract-level coerces still open a working database', async function (t) {
  const location = tempLocation()
  for (const [name, value] of wrongValues()) {
    const db = new SophiaLevel(location, value)
    assertHandled(t, `new SophiaLevel(location, ${name}): options that are not an object are ignored`, await settle(() => db.open()), 'ok')
    await db.close()
    for (const option of ['createIfMissing', 'errorIfExists', 'passive']) {
      if (value === undefined) continue
      const result = await settle(() => db.open({ [option]: value }))
      assertHandled(t, `db.open({ ${option}: ${name} })`, result)
      if (result.ok) {
        await db.put('k', name)
        t.is(await db.get('k'), name, `db.open({ ${option}: ${name} }): the database works`)
      }
      await db.close()
    }
  }
})

test('reads: get, getSync, getMany, has and hasMany with wrong keys and options do as memory-level does', async function (t) {
  const pair = await seeded(t)
  const k = 'a'
  for (const [name, value] of wrongValues()) {
    await sameAsMemory(t, `get(${name})`, pair, (db) => db.get(value))
    await sameAsMemory(t, `getSync(${name})`, pair, (db) => db.getSync(value))
    await sameAsMemory(t, `has(${name})`, pair, (db) => db.has(value))
    await sameAsMemory(t, `getMany(${name})`, pair, (db) => db.getMany(value))
    await sameAsMemory(t, `getMany([${name}])`, pair, (db) => db.getMany([value, k]))
    await sameAsMemory(t, `hasMany(${name})`, pair, (db) => db.hasMany(value))
    await sameAsMemory(t, `hasMany([${name}])`, pair, (db) => db.hasMany([value, k]))
    for (const method of ['get', 'getSync', 'has']) {
      await sameAsMemory(t, `${method}(key, ${name})`, pair, (db) => db[method](k, value))
    }
    for (const method of ['getMany', 'hasMany']) {
      await sameAsMemory(t, `${method}(keys, ${name})`, pair, (db) => db[method]([k], value))
    }
    if (value === undefined) continue
    for (const option of ['keyEncoding', 'valueEncoding', 'snapshot', 'fillCache']) {
      for (const method of ['get', 'getSync', 'has']) {
        await sameAsMemory(t, `${method}(key, { ${option}: ${name} })`, pair, (db) => db[method](k, { [option]: value }))
      }
      for (const method of ['getMany', 'hasMany']) {
        await sameAsMemory(t, `${method}(keys, { ${option}: ${name} })`, pair, (db) => db[method]([k], { [option]: value }))
      }
    }
    // Sophia's own option: anything but a transaction of this database (or null) is a TypeError.
    for (const method of ['get', 'getSync', 'has', 'getMany', 'hasMany']) {
      const key = method.endsWith('Many') ? [k] : k
      const result = await settle(() => pair.db[method](key, { transaction: value }))
      assertHandled(t, `${method}(key, { transaction: ${name} })`, result, value === null ? 'ok' : 'TypeError')
    }
  }
  for (const option of ['keyEncoding', 'valueEncoding']) {
    await sameAsMemory(t, `get(key, { ${option}: an unknown encoding })`, pair, (db) => db.get(k, { [option]: 'no-such-encoding' }))
  }
  await assertUnchanged(t, pair.db)
})

test('writes: put, del, array and chained batches with wrong keys, values, operations and options do as memory-level does, and leave the other data alone', async function (t) {
  const pair = await seeded(t)
  const put = (key, value) => ({ type: 'put', key, value })
  for (const [name, value] of wrongValues()) {
    await sameAsMemory(t, `put(${name}, value)`, pair, (db) => db.put(value, 'x'))
    await sameAsMemory(t, `put(key, ${name})`, pair, (db) => db.put('w/put', value))
    await sameAsMemory(t, `put(key, value, ${name})`, pair, (db) => db.put('w/opts', 'x', value))
    await sameAsMemory(t, `del(${name})`, pair, (db) => db.del(value))
    await sameAsMemory(t, `del(key, ${name})`, pair, (db) => db.del('w/none', value))
    await sameAsMemory(t, `batch(${name})`, pair, (db) => db.batch(value))
    await sameAsMemory(t, `batch([${name}])`, pair, (db) => db.batch([value]))
    await sameAsMemory(t, `batch([{ type: ${name} }])`, pair, (db) => db.batch([{ type: value, key: 'w/type', value: 'x' }]))
    await sameAsMemory(t, `batch([{ key: ${name} }])`, pair, (db) => db.batch([put('w/before', 'x'), put(value, 'x')]))
    await sameAsMemory(t, `batch([{ value: ${name} }])`, pair, (db) => db.batch([put('w/before', 'y'), put('w/value', value)]))
    await sameAsMemory(t, `batch([{ type: 'del', key: ${name} }])`, pair, (db) => db.batch([{ type: 'del', key: value }]))
    await sameAsMemory(t, `batch(operations, ${name})`, pair, (db) => db.batch([put('w/batch-opts', 'x')], value))
    await sameAsMemory(t, `chained put(${name}, value)`, pair, (db) => withChainedBatch(db, (b) => b.put(value, 'x').write()))
    await sameAsMemory(t, `chained put(key, ${name})`, pair, (db) => withChainedBatch(db, (b) => b.put('w/chained', value).write()))
    await sameAsMemory(t, `chained del(${name})`, pair, (db) => withChainedBatch(db, (b) => b.del(value).write()))
    await sameAsMemory(t, `chained put(key, value, ${name})`, pair, (db) => withChainedBatch(db, (b) => b.put('w/chained-opts', 'x', value).write()))
    await sameAsMemory(t, `chained write(${name})`, pair, (db) => withChainedBatch(db, (b) => b.put('w/write-opts', 'x').write(value)))
    if (value === undefined) continue
    for (const option of ['keyEncoding', 'valueEncoding', 'sync', 'snapshot', 'transaction']) {
      await sameAsMemory(t, `put(key, value, { ${option}: ${name} })`, pair, (db) => db.put('w/put-option', 'x', { [option]: value }))
      await sameAsMemory(t, `del(key, { ${option}: ${name} })`, pair, (db) => db.del('w/none', { [option]: value }))
      await sameAsMemory(t, `batch(operations, { ${option}: ${name} })`, pair, (db) => db.batch([put('w/batch-option', 'x')], { [option]: value }))
      await sameAsMemory(t, `batch([{ ${option}: ${name} }])`, pair, (db) => db.batch([{ ...put('w/op-option', 'x'), [option]: value }]))
      await sameAsMemory(t, `chained put(key, value, { ${option}: ${name} })`, pair, (db) => withChainedBatch(db, (b) => b.put('w/chained-option', 'x', { [option]: value }).write()))
    }
    await sameAsMemory(t, `batch([{ sublevel: ${name} }])`, pair, (db) => db.batch([{ ...put('w/sublevel', 'x'), sublevel: value }]))
  }
  await sameAsMemory(t, 'put(key, value, { valueEncoding: an unknown encoding })', pair, (db) => db.put('w/unknown', 'x', { valueEncoding: 'no-such-encoding' }))
  await sameAsMemory(t, 'batch([put], { keyEncoding: an unknown encoding })', pair, (db) => db.batch([put('w/unknown', 'x')], { keyEncoding: 'no-such-encoding' }))
  t.same(await pair.db.iterator().all(), await pair.mem.iterator().all(), 'the stored data is what memory-level has: the same writes took effect')
  t.same(await pair.db.iterator({ gte: 'seed/', lt: 'seed0' }).all(), SEED.filter(([key]) => key.startsWith('seed/')), 'the seeded entries no write named are unchanged')
})

test('iterators: wrong range and other options, seek targets and read sizes do as memory-level does', async function (t) {
  const pair = await seeded(t)
  for (const [name, value] of wrongValues()) {
    for (const method of ['iterator', 'keys', 'values']) {
      await sameAsMemory(t, `${method}(${name}).all()`, pair, (db) => drain(db[method](value), 'all'))
      if (value !== undefined) {
        for (const option of ['gt', 'gte', 'lt', 'lte', 'reverse', 'limit', 'keys', 'values', 'keyEncoding', 'valueEncoding', 'snapshot', 'signal']) {
          for (const how of ['all', 'next', 'nextv']) {
            await sameAsMemory(t, `${method}({ ${option}: ${name} }) ${how}()`, pair, (db) => drain(db[method]({ [option]: value }), how))
          }
        }
      }
      await sameAsMemory(t, `${method}().seek(${name})`, pair, async (db) => {
        const it = db[method]()
        it.seek(value)
        return drain(it, 'next')
      })
      await sameAsMemory(t, `${method}({ reverse: true }).seek(${name})`, pair, async (db) => {
        const it = db[method]({ reverse: true })
        it.seek(value)
        return drain(it, 'next')
      })
      await sameAsMemory(t, `${method}().seek(target, ${name})`, pair, async (db) => {
        const it = db[method]()
        it.seek('b', value)
        return drain(it, 'next')
      })
      await sameAsMemory(t, `${method}().nextv(${name})`, pair, async (db) => {
        const it = db[method]()
        try { return await it.nextv(value) } finally { await it.close() }
      })
      await sameAsMemory(t, `${method}().nextv(1, ${name})`, pair, async (db) => {
        const it = db[method]()
        try { return await it.nextv(1, value) } finally { await it.close() }
      })
      await sameAsMemory(t, `${method}().next(${name})`, pair, async (db) => {
        const it = db[method]()
        try { return await it.next(value) } finally { await it.close() }
      })
      await sameAsMemory(t, `${method}().all(${name})`, pair, (db) => db[method]().all(value))
    }
    if (value === undefined) continue
    // Sophia's own options. highWaterMarkBytes is only a bound on a read:
    // any number reads everything; what is not a number is a TypeError.
    const everything = await pair.db.iterator().all()
    for (const how of ['all', 'next', 'nextv']) {
      const result = await settle(() => drain(pair.db.iterator({ highWaterMarkBytes: value }), how))
      assertHandled(t, `iterator({ highWaterMarkBytes: ${name} }) ${how}()`, result, ['ok', 'TypeError'])
      if (result.ok && how === 'all') t.same(result.value, everything, `iterator({ highWaterMarkBytes: ${name} }) reads everything`)
    }
    // A transaction option that is not a transaction is ignored by iterators
    // (a TypeError for point reads): either is fine here, a wrong read is not.
    const result = await settle(() => drain(pair.db.iterator({ transaction: value }), 'all'))
    assertHandled(t, `iterator({ transaction: ${name} })`, result, ['ok', 'TypeError'])
    if (result.ok) t.same(result.value, everything, `iterator({ transaction: ${name} }) reads the database`)
  }
  for (const size of [-1, 0, 1, 2, 1000, 1e6]) {
    await sameAsMemory(t, `keys().nextv(${size})`, pair, async (db) => {
      const it = db.keys()
      try { return [await it.nextv(size), await it.nextv(size)] } finally { await it.close() }
    })
  }
  // A small budget gives one entry per nextv(): reads go on until [].
  for (const highWaterMarkBytes of [-1, 0, 1, 0.5, Infinity, -Infinity, 2 ** 32 + 1]) {
    const it = pair.db.keys({ highWaterMarkBytes })
    const read = [await it.next()]
    for (let i = 0, items = await it.nextv(3); items.length > 0 && i < 100; i++, items = await it.nextv(1000)) read.push(...items)
    await it.close()
    t.same(read, await pair.mem.keys().all(), `keys({ highWaterMarkBytes: ${highWaterMarkBytes} }): next() and nextv() read everything`)
  }
  await assertUnchanged(t, pair.db)
})

test('clear() with wrong options deletes what memory-level deletes, no more', async function (t) {
  const pair = await seeded(t)
  const reseed = async () => {
    for (const db of [pair.db, pair.mem]) {
      await db.clear()
      await db.batch(SEED.map(([key, value]) => ({ type: 'put', key, value })))
    }
  }
  const clearAndRead = async (db, options) => {
    await db.clear(options)
    return db.iterator().all()
  }
  for (const [name, value] of wrongValues()) {
    await reseed()
    await sameAsMemory(t, `clear(${name})`, pair, (db) => clearAndRead(db, value))
    if (value === undefined) continue
    for (const option of ['gt', 'gte', 'lt', 'lte', 'reverse', 'limit', 'keyEncoding', 'snapshot']) {
      await reseed()
      await sameAsMemory(t, `clear({ ${option}: ${name} })`, pair, (db) => clearAndRead(db, { [option]: value }))
    }
    await reseed()
    const result = await settle(() => pair.db.clear({ transaction: value }))
    assertHandled(t, `clear({ transaction: ${name} })`, result, value === null ? 'ok' : 'LEVEL_NOT_SUPPORTED')
    if (!result.ok) t.same(await pair.db.iterator().all(), SEED, `clear({ transaction: ${name} }) deleted nothing`)
  }
})

test('snapshots, transactions, stats(), getProperty() and backup() with wrong arguments', async function (t) {
  const pair = await seeded(t)
  const { db } = pair
  const scratch = new MemoryLevel()
  t.teardown(() => scratch.close())
  for (const [name, value] of wrongValues()) {
    const snapshot = await settle(() => db.snapshot(value))
    assertHandled(t, `snapshot(${name}): options are ignored`, snapshot, 'ok')
    if (snapshot.ok) await snapshot.value.close()
    assertHandled(t, `stats(${name})`, await settle(() => db.stats(value)), 'ok')
    assertHandled(t, `getProperty(${name})`, await settle(() => db.getProperty(value)), typeof value === 'string' ? 'ok' : 'TypeError')
    assertHandled(t, `backup(${name}) without backupPath`, await settle(() => db.backup(value)), 'SOPHIA_BACKUP_DISABLED')
    if (value !== undefined && typeof value !== 'function') {
      assertHandled(t, `transaction(${name})`, await settle(() => db.transaction(value)), 'TypeError')
    }
    assertHandled(t, `transaction(fn, ${name})`, await settle(() => db.transaction(async () => 1, value)), 'ok')
    const retries = await settle(() => db.transaction(async () => 1, { retries: value }))
    assertHandled(t, `transaction(fn, { retries: ${name} })`, retries, value == null ? 'ok' : typeof value === 'number' ? ['ok', 'RangeError'] : 'TypeError')
    assertHandled(t, `transaction(fn, { sync: ${name} })`, await settle(() => db.transaction(async () => 1, { sync: value })), 'ok')
    const tx = db.transaction()
    // Each method of a transaction fails where the same method of a
    // database fails, and in the same way.
    const like = async (label, ours, theirs) => {
      const [a, b] = [await settle(ours), await settle(theirs)]
      assertHandled(t, label, a)
      t.is(describe(a, false), describe(b, false), `${label}: as memory-level's ${describe(b, false)}`)
    }
    await like(`tx.get(${name})`, () => tx.get(value), () => scratch.get(value))
    await like(`tx.getMany(${name})`, () => tx.getMany(value), () => scratch.getMany(value))
    await like(`tx.getMany([${name}])`, () => tx.getMany([value]), () => scratch.getMany([value]))
    await like(`tx.has(${name})`, () => tx.has(value), () => scratch.has(value))
    await like(`tx.hasMany(${name})`, () => tx.hasMany(value), () => scratch.hasMany(value))
    await like(`tx.hasMany([${name}])`, () => tx.hasMany([value]), () => scratch.hasMany([value]))
    await like(`tx.put(${name}, value)`, () => tx.put(value, 'x'), () => scratch.put(value, 'x'))
    await like(`tx.put(key, ${name})`, () => tx.put('tx/put', value), () => scratch.put('tx/put', value))
    await like(`tx.del(${name})`, () => tx.del(value), () => scratch.del(value))
    await like(`tx.get(key, ${name})`, () => tx.get('a', value), () => scratch.get('a', value))
    await like(`tx.put(key, value, ${name})`, () => tx.put('tx/opts', 'x', value), () => scratch.put('tx/opts', 'x', value))
    await like(`tx.iterator(${name})`, () => drain(tx.iterator(value), 'all'), () => drain(scratch.iterator(value), 'all'))
    if (value !== undefined) {
      for (const option of ['keyEncoding', 'valueEncoding', 'snapshot']) {
        await like(`tx.get(key, { ${option}: ${name} })`, () => tx.get('a', { [option]: value }), () => scratch.get('a', { [option]: value }))
        await like(`tx.getMany(keys, { ${option}: ${name} })`, () => tx.getMany(['a'], { [option]: value }), () => scratch.getMany(['a'], { [option]: value }))
        await like(`tx.iterator({ ${option}: ${name} })`, () => drain(tx.iterator({ [option]: value }), 'all'), () => drain(scratch.iterator({ [option]: value }), 'all'))
        if (option !== 'snapshot') {
          await like(`tx.put(key, value, { ${option}: ${name} })`, () => tx.put('tx/option', 'x', { [option]: value }), () => scratch.put('tx/option', 'x', { [option]: value }))
          await like(`tx.del(key, { ${option}: ${name} })`, () => tx.del('tx/none', { [option]: value }), () => scratch.del('tx/none', { [option]: value }))
        }
      }
      for (const option of ['db', 'sublevel']) {
        const expected = value === null ? 'ok' : 'TypeError'
        assertHandled(t, `tx.get(key, { ${option}: ${name} })`, await settle(() => tx.get('a', { [option]: value })), expected)
        assertHandled(t, `tx.put(key, value, { ${option}: ${name} })`, await settle(() => tx.put('tx/target', 'x', { [option]: value })), expected)
        assertHandled(t, `tx.del(key, { ${option}: ${name} })`, await settle(() => tx.del('tx/target', { [option]: value })), expected)
        assertHandled(t, `tx.iterator({ ${option}: ${name} })`, await settle(() => drain(tx.iterator({ [option]: value }), 'all')), expected)
      }
    }
    assertHandled(t, `tx.rollback(${name})`, await settle(() => tx.rollback(value)), 'ok')
    const committed = db.transaction()
    await committed.put('tx/committed', name)
    assertHandled(t, `tx.commit(${name})`, await settle(() => committed.commit(value)), 'ok')
    t.is(await db.get('tx/committed'), name, `tx.commit(${name}) committed`)
  }
  await db.del('tx/committed')
  t.same(await db.iterator().all(), SEED, 'rolled-back transactions left nothing behind')
})

test('SophiaEnv: database() and transaction() with wrong arguments, and opening with no database', async function (t) {
  for (const [name, value] of wrongValues()) {
    const env = new SophiaEnv(tempLocation())
    const expected = typeof value !== 'string' ? 'TypeError' : 'RangeError'
    assertHandled(t, `env.database(${name})`, await settle(() => env.database(value)), expected)
  }
  for (const bad of ['log', 'a.b', 'a/b', '..', 'x'.repeat(65), 'é']) {
    assertHandled(t, `env.database('${bad.slice(0, 10)}')`, await settle(() => new SophiaEnv(tempLocation()).database(bad)), 'RangeError')
  }
  assertHandled(t, 'env.open() with no database declared', await settle(() => new SophiaEnv(tempLocation()).open()), 'SOPHIA_ERROR')

  const env = new SophiaEnv(tempLocation())
  const main = env.database('main')
  const other = env.database('other')
  await env.open()
  t.teardown(() => env.close())
  await main.put('seed', 'v')
  for (const [name, value] of wrongValues()) {
    if (value !== undefined && typeof value !== 'function') {
      assertHandled(t, `env.transaction(${name})`, await settle(() => env.transaction(value)), 'TypeError')
    }
    assertHandled(t, `env.transaction(fn, ${name})`, await settle(() => env.transaction(async () => 1, value)), 'ok')
    const retries = await settle(() => env.transaction(async () => 1, { retries: value }))
    assertHandled(t, `env.transaction(fn, { retries: ${name} })`, retries, value == null ? 'ok' : typeof value === 'number' ? ['ok', 'RangeError'] : 'TypeError')
    const tx = env.transaction()
    assertHandled(t, `env tx.put(key, value, { db: ${name} })`, await settle(() => tx.put('k', 'v', { db: value })), 'TypeError')
    assertHandled(t, `env tx.get(key, { db: ${name} })`, await settle(() => tx.get('k', { db: value })), 'TypeError')
    assertHandled(t, `env tx.iterator({ db: ${name} })`, await settle(() => drain(tx.iterator({ db: value }), 'all')), 'TypeError')
    await tx.rollback()
  }
  const tx = env.transaction()
  const closed = new SophiaLevel(tempLocation())
  await closed.open()
  assertHandled(t, 'env tx.put with a database of another environment', await settle(() => tx.put('k', 'v', { db: closed })), 'TypeError')
  await closed.close()
  assertHandled(t, 'env tx.put with a closed database', await settle(() => tx.put('k', 'v', { db: closed })), 'TypeError')
  await tx.rollback()
  t.same(await main.iterator().all(), [['seed', 'v']], 'main is unchanged')
  t.same(await other.iterator().all(), [], 'other is unchanged')
})

test('encodings that throw, return what is not bytes, or cannot decode what is stored', async function (t) {
  const pair = await seeded(t)
  const { db } = pair
  await db.put('not-json', '{ not json')
  const thrown = new Error('the encoding failed')
  const throwing = { name: 'throwing', format: 'utf8', encode () { throw thrown }, decode () { throw thrown } }
  const notBytes = [
    ['a number', { name: 'number', format: 'utf8', encode: () => 42, decode: (x) => x }],
    ['undefined', { name: 'undefined', format: 'utf8', encode: () => undefined, decode: (x) => x }],
    ['an object', { name: 'object', format: 'view', encode: () => ({}), decode: (x) => x }]
  ]
  const writes = (enc) => ({
    'put (key)': () => db.put('k', 'v', { keyEncoding: enc }),
    'put (value)': () => db.put('k', 'v', { valueEncoding: enc }),
    del: () => db.del('a', { keyEncoding: enc }),
    'batch (key)': () => db.batch([{ type: 'put', key: 'k', value: 'v' }], { keyEncoding: enc }),
    'batch (value)': () => db.batch([{ type: 'put', key: 'k', value: 'v' }], { valueEncoding: enc }),
    'batch operation (value)': () => db.batch([{ type: 'put', key: 'k', value: 'v', valueEncoding: enc }]),
    'chained batch (value)': () => withChainedBatch(db, (b) => b.put('k', 'v', { valueEncoding: enc }).write()),
    'tx.put (key)': () => db.transaction(async (tx) => tx.put('k', 'v', { keyEncoding: enc })),
    'tx.put (value)': () => db.transaction(async (tx) => tx.put('k', 'v', { valueEncoding: enc })),
    'tx.del': () => db.transaction(async (tx) => tx.del('a', { keyEncoding: enc })),
    'sublevel put': () => db.sublevel('sub', { valueEncoding: enc }).put('k', 'v')
  })
  const keyReads = (enc) => ({
    get: () => db.get('a', { keyEncoding: enc }),
    getSync: () => db.getSync('a', { keyEncoding: enc }),
    has: () => db.has('a', { keyEncoding: enc }),
    getMany: () => db.getMany(['a'], { keyEncoding: enc }),
    hasMany: () => db.hasMany(['a'], { keyEncoding: enc }),
    'iterator range': () => drain(db.iterator({ gte: 'a', keyEncoding: enc }), 'all'),
    seek: async () => {
      const it = db.iterator()
      it.seek('a', { keyEncoding: enc })
      return drain(it, 'next')
    },
    clear: () => db.clear({ gte: 'zzz', keyEncoding: enc }),
    'tx.get': () => db.transaction(async (tx) => tx.get('a', { keyEncoding: enc }))
  })
  const valueReads = (enc) => ({
    get: () => db.get('a', { valueEncoding: enc }),
    getSync: () => db.getSync('a', { valueEncoding: enc }),
    getMany: () => db.getMany(['a'], { valueEncoding: enc }),
    'iterator all': () => drain(db.iterator({ valueEncoding: enc }), 'all'),
    'iterator next': () => drain(db.iterator({ valueEncoding: enc }), 'next'),
    'values nextv': () => drain(db.values({ valueEncoding: enc }), 'nextv'),
    'keys (key decoding)': () => drain(db.keys({ keyEncoding: enc }), 'all'),
    'for await': async () => { for await (const entry of db.iterator({ valueEncoding: enc })) entry.toString() },
    'tx.get': () => db.transaction(async (tx) => tx.get('a', { valueEncoding: enc })),
    'tx.iterator': () => db.transaction(async (tx) => drain(tx.iterator({ valueEncoding: enc }), 'all'))
  })

  // An encoding's own error passes through untouched, as in abstract-level
  // and classic-level: it is the caller's error, not the database's.
  for (const [method, call] of Object.entries({ ...writes(throwing), ...keyReads(throwing) })) {
    const result = await settle(call)
    t.ok(!result.ok && result.error === thrown, `encoding throws in ${method}: its own error passes through (${describe(result)})`)
  }
  // Decoding failures are LEVEL_DECODE_ERROR, with the encoding's error as cause.
  for (const [method, call] of Object.entries(valueReads(throwing))) {
    const result = await settle(call)
    assertHandled(t, `decoding throws in ${method}`, result, 'LEVEL_DECODE_ERROR')
    if (!result.ok) t.is(result.error.cause, thrown, `decoding throws in ${method}: the cause is the encoding's error`)
  }
  // What is not a string, Buffer or Uint8Array is refused by the native layer.
  for (const [what, enc] of notBytes) {
    for (const [method, call] of Object.entries({ ...writes(enc), ...keyReads(enc) })) {
      if (method === 'sublevel put') continue // the sublevel transcodes it to a string first
      assertHandled(t, `encoding returns ${what} in ${method}`, await settle(call), 'TypeError')
    }
  }
  // json: what cannot be stringified, and what is stored that is not JSON.
  const circular = {}
  circular.self = circular
  assertHandled(t, 'json put of a circular object', await settle(() => db.put('k', circular, { valueEncoding: 'json' })), 'TypeError')
  assertHandled(t, 'json put of a BigInt', await settle(() => db.put('k', { n: 1n }, { valueEncoding: 'json' })), 'TypeError')
  const json = { valueEncoding: 'json' }
  assertHandled(t, 'json get of a value that is not JSON', await settle(() => db.get('not-json', json)), 'LEVEL_DECODE_ERROR')
  assertHandled(t, 'json getSync of a value that is not JSON', await settle(() => db.getSync('not-json', json)), 'LEVEL_DECODE_ERROR')
  assertHandled(t, 'json getMany of a value that is not JSON', await settle(() => db.getMany(['a', 'not-json'], json)), 'LEVEL_DECODE_ERROR')
  assertHandled(t, 'json iterator over a value that is not JSON', await settle(() => drain(db.values({ gte: 'not', ...json }), 'all')), 'LEVEL_DECODE_ERROR')
  assertHandled(t, 'json tx.get of a value that is not JSON', await settle(() => db.transaction(async (tx) => tx.get('not-json', json))), 'LEVEL_DECODE_ERROR')

  await db.del('not-json')
  const stored = await db.iterator().all()
  t.same(stored.filter(([key]) => !key.startsWith('!sub!')), SEED, 'no write with a failing encoding stored anything')
})

test('oversized keys and values in the calls limits-test.js leaves out', async function (t) {
  const location = tempLocation()
  const env = new SophiaEnv(location)
  const db = env.database('main', { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await env.open()
  t.teardown(() => env.close())
  const ok = Buffer.from('k')
  await db.put(ok, Buffer.from('before'))
  const key = Buffer.alloc(1025, 'k')
  // Not zero-filled: the size is checked before any byte is read.
  const value = Buffer.allocUnsafe(2047 * 1024 * 1024 + 1)
  const cases = {
    hasMany: [() => db.hasMany([ok, key]), 'SOPHIA_KEY_TOO_LARGE'],
    'tx.get': [() => db.transaction(async (tx) => tx.get(key)), 'SOPHIA_KEY_TOO_LARGE'],
    'tx.getMany': [() => db.transaction(async (tx) => tx.getMany([ok, key])), 'SOPHIA_KEY_TOO_LARGE'],
    'tx.has': [() => db.transaction(async (tx) => tx.has(key)), 'SOPHIA_KEY_TOO_LARGE'],
    'tx.hasMany': [() => db.transaction(async (tx) => tx.hasMany([key])), 'SOPHIA_KEY_TOO_LARGE'],
    'tx.put (key)': [() => db.transaction(async (tx) => { await tx.put(ok, Buffer.from('x')); await tx.put(key, Buffer.from('x')) }), 'SOPHIA_KEY_TOO_LARGE'],
    'tx.del': [() => db.transaction(async (tx) => tx.del(key)), 'SOPHIA_KEY_TOO_LARGE'],
    'tx.put (value)': [() => db.transaction(async (tx) => { await tx.put(ok, Buffer.from('x')); await tx.put(Buffer.from('v'), value) }), 'SOPHIA_VALUE_TOO_LARGE'],
    'env tx.put (key)': [() => env.transaction(async (tx) => tx.put(key, Buffer.from('x'), { db })), 'SOPHIA_KEY_TOO_LARGE'],
    'chained batch (value)': [() => db.batch().put(Buffer.from('other'), Buffer.from('x')).put(ok, value).write(), 'SOPHIA_VALUE_TOO_LARGE'],
    'sublevel getMany': [() => db.sublevel('s', { keyEncoding: 'buffer' }).getMany([Buffer.alloc(1022, 'k')]), 'SOPHIA_KEY_TOO_LARGE']
  }
  for (const [name, [call, code]] of Object.entries(cases)) {
    const result = await settle(call)
    assertHandled(t, name, result, code)
    if (!result.ok) t.ok(result.error instanceof ModuleError, `${name}: a ModuleError`)
  }
  t.same(await db.iterator().all(), [[ok, Buffer.from('before')]], 'nothing was written')
  const tx = db.transaction()
  t.is(tx.open, true, 'transactions still begin')
  await tx.rollback()
})

test('a database that is still opening: deferred calls work, the rest are LEVEL_DATABASE_NOT_OPEN', async function (t) {
  // abstract-level defers the asynchronous calls until open() finishes; the
  // synchronous ones cannot wait. Sophia's own methods (stats, backup,
  // transaction, getProperty) may do either.
  const calls = {
    get: [(db) => db.get('a'), 'ok'],
    put: [(db) => db.put('a', '1'), 'ok'],
    'batch([])': [(db) => db.batch([{ type: 'put', key: 'a', value: '1' }]), 'ok'],
    'iterator().all()': [(db) => db.iterator().all(), 'ok'],
    clear: [(db) => db.clear(), 'ok'],
    getSync: [(db) => db.getSync('a'), 'LEVEL_DATABASE_NOT_OPEN'],
    'batch()': [(db) => db.batch(), 'LEVEL_DATABASE_NOT_OPEN'],
    snapshot: [(db) => db.snapshot(), 'LEVEL_DATABASE_NOT_OPEN'],
    'transaction()': [(db) => db.transaction(), ['ok', 'LEVEL_DATABASE_NOT_OPEN']],
    'transaction(fn)': [(db) => db.transaction(async (tx) => tx.get('a')), ['ok', 'LEVEL_DATABASE_NOT_OPEN']],
    stats: [(db) => db.stats(), ['ok', 'LEVEL_DATABASE_NOT_OPEN']],
    getProperty: [(db) => db.getProperty('sophia.status'), ['ok', 'LEVEL_DATABASE_NOT_OPEN']],
    backup: [(db) => db.backup(), ['SOPHIA_BACKUP_DISABLED', 'LEVEL_DATABASE_NOT_OPEN']]
  }
  for (const [name, [call, expected]] of Object.entries(calls)) {
    const db = new SophiaLevel(tempLocation())
    t.is(db.status, 'opening', `${name}: opening`)
    const result = await settle(() => call(db))
    assertHandled(t, `${name} while opening`, result, expected)
    if (result.ok && typeof result.value?.rollback === 'function') await result.value.rollback()
    await db.close()
  }
})

function stateCalls () {
  return {
    get: (db) => db.get('a'),
    getSync: (db) => db.getSync('a'),
    getMany: (db) => db.getMany(['a']),
    has: (db) => db.has('a'),
    hasMany: (db) => db.hasMany(['a']),
    put: (db) => db.put('a', 'b'),
    del: (db) => db.del('a'),
    'batch([])': (db) => db.batch([{ type: 'put', key: 'a', value: 'b' }]),
    'batch()': (db) => db.batch(),
    'iterator()': (db) => db.iterator(),
    'iterator().next()': (db) => db.iterator().next(),
    'keys().all()': (db) => db.keys().all(),
    'values().nextv()': (db) => db.values().nextv(2),
    'iterator().seek()': (db) => db.iterator().seek('a'),
    clear: (db) => db.clear(),
    snapshot: (db) => db.snapshot(),
    'transaction()': (db) => db.transaction(),
    'transaction(fn)': (db) => db.transaction(async () => 1),
    stats: (db) => db.stats(),
    getProperty: (db) => db.getProperty('sophia.status'),
    backup: (db) => db.backup(),
    'sublevel put': (db) => db.sublevel('s').put('a', 'b'),
    'sublevel iterator': (db) => db.sublevel('s').iterator().all(), // LEVEL_ITERATOR_NOT_OPEN in abstract-level
    'open({ passive: true })': (db) => db.open({ passive: true })
  }
}

test('a database whose open failed, one that is closing, and one of a closed SophiaEnv: LEVEL_DATABASE_NOT_OPEN everywhere', async function (t) {
  const file = tempLocation()
  fs.writeFileSync(file, 'not a directory')
  const failed = new SophiaLevel(file)
  await failed.open().catch(() => {})
  t.is(failed.status, 'closed', 'the open failed')

  const closing = new SophiaLevel(tempLocation(), { backupPath: tempLocation() })
  await closing.open()
  await closing.put('a', 'kept')

  const env = new SophiaEnv(tempLocation())
  const member = env.database('member')
  await env.open()
  await member.put('a', 'kept')
  await env.close()

  const closingDone = closing.close()
  t.is(closing.status, 'closing')
  for (const [state, db] of [['failed to open', failed], ['closing', closing], ['of a closed SophiaEnv', member]]) {
    for (const [name, call] of Object.entries(stateCalls())) {
      const expected = name === 'sublevel iterator' ? 'LEVEL_ITERATOR_NOT_OPEN' : 'LEVEL_DATABASE_NOT_OPEN'
      assertHandled(t, `${name} on a database that ${state.startsWith('of') ? 'is one' : 'has'} ${state}`, await settle(() => call(db)), expected)
    }
  }
  await closingDone
  // Declaring a database would open it on the next tick (abstract-level's
  // constructor does), and so the environment: this one declares none.
  const neverOpened = new SophiaEnv(tempLocation())
  const envCalls = {
    'transaction()': (e) => e.transaction(),
    'transaction(fn)': (e) => e.transaction(async () => 1),
    'backup()': (e) => e.backup()
  }
  for (const [name, call] of Object.entries(envCalls)) {
    assertHandled(t, `env.${name} of a closed SophiaEnv`, await settle(() => call(env)), 'LEVEL_DATABASE_NOT_OPEN')
    assertHandled(t, `env.${name} of a SophiaEnv never opened`, await settle(() => call(neverOpened)), 'LEVEL_DATABASE_NOT_OPEN')
  }
  assertHandled(t, 'close() of a SophiaEnv never opened', await settle(() => new SophiaEnv(tempLocation()).close()), 'ok')
  await closing.open()
  t.is(await closing.get('a'), 'kept', 'the closing database kept its data')
  await closing.close()
  await env.open()
  t.is(await member.get('a'), 'kept', 'the SophiaEnv kept its data')
  await env.close()
})

test('calls on a closed database that errors-test.js leaves out are LEVEL_DATABASE_NOT_OPEN', async function (t) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  await db.put('a', 'kept')
  const snapshot = db.snapshot()
  const tx = db.transaction()
  const sub = db.sublevel('s')
  await db.close()
  const covered = new Set(['get', 'put', 'del', 'batch([])', 'getMany', 'has', 'clear', 'iterator().next()', 'getSync'])
  for (const [name, call] of Object.entries(stateCalls())) {
    if (covered.has(name)) continue
    const expected = name === 'sublevel iterator' ? 'LEVEL_ITERATOR_NOT_OPEN' : 'LEVEL_DATABASE_NOT_OPEN'
    assertHandled(t, `${name} on a closed database`, await settle(() => call(db)), expected)
  }
  assertHandled(t, 'get with a snapshot taken before closing', await settle(() => db.get('a', { snapshot })), 'LEVEL_DATABASE_NOT_OPEN')
  assertHandled(t, 'a sublevel made before closing', await settle(() => sub.get('a')), 'LEVEL_DATABASE_NOT_OPEN')
  assertHandled(t, 'tx.iterator() of a transaction begun before closing', await settle(() => tx.iterator()), ['SOPHIA_TRANSACTION_NOT_OPEN', 'LEVEL_DATABASE_NOT_OPEN'])
  await db.open()
  t.is(await db.get('a'), 'kept', 'data intact')
  await db.close()
})

// Runs test/fixtures/try-open.js, which tries to open each location and to
// repair it, and reports the outcomes as JSON lines.
async function tryOpenElsewhere (locations, spawnOptions = {}) {
  const child = spawn(process.execPath, [tryOpen, ...locations], { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions })
  let output = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk) => { stderr += chunk })
  // A child that never finishes is killed: the test then fails, not hangs.
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000)
  const [code, signal] = await new Promise((resolve) => child.on('exit', (...args) => resolve(args)))
  clearTimeout(timer)
  return { code, signal, stderr, reports: output.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) }
}

function accessibleDirectory () {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-unwritable-'))
  fs.chmodSync(directory, 0o755)
  return directory
}

test('a location that cannot be written: LEVEL_IO_ERROR as the cause, and the data stays', async function (t) {
  const directory = accessibleDirectory()
  t.teardown(() => fs.rmSync(directory, { recursive: true, force: true }))
  const existing = path.join(directory, 'db')
  const db = new SophiaLevel(existing)
  await db.put('a', 'kept')
  await db.close()
  const missing = path.join(directory, 'new')
  const below = path.join(directory, 'db', 'main', 'nested')
  if (isRoot) {
    // root writes anywhere: ask a process running as nobody.
    const { code, signal, stderr, reports } = await tryOpenElsewhere([existing, missing, below], { uid: 65534, gid: 65534 })
    if (reports.length === 0 && /EACCES|Cannot find module|permission denied/i.test(stderr)) {
      t.skip(`nobody cannot load sophia-level here: ${stderr.split('\n')[0]}`)
      return
    }
    if (code !== 0) t.comment(stderr)
    t.is(code, 0, 'the other process exits normally')
    t.is(signal, null, 'and not by a signal')
    for (const report of reports) {
      t.is(report.open.code, 'LEVEL_DATABASE_NOT_OPEN', `open ${path.basename(report.location)} as nobody: LEVEL_DATABASE_NOT_OPEN`)
      t.is(report.open.causeCode, 'LEVEL_IO_ERROR', `cause LEVEL_IO_ERROR: ${report.open.causeMessage}`)
      t.ok(/^(LEVEL|SOPHIA)_/.test(report.repair.code), `repair as nobody: ${report.repair.code} ${report.repair.message}`)
    }
    t.is(reports.length, 3, 'all three tried')
  } else {
    fs.chmodSync(directory, 0o555)
    fs.chmodSync(existing, 0o555)
    try {
      for (const location of [existing, missing]) {
        const result = await settle(() => new SophiaLevel(location).open())
        assertHandled(t, `open ${path.basename(location)} in a read-only directory`, result, 'LEVEL_DATABASE_NOT_OPEN')
        if (!result.ok) t.is(result.error.cause?.code, 'LEVEL_IO_ERROR', result.error.cause?.message)
      }
    } finally {
      fs.chmodSync(directory, 0o755)
      fs.chmodSync(existing, 0o755)
    }
  }
  t.notOk(fs.existsSync(missing), 'nothing was created')
  const again = new SophiaLevel(existing)
  t.is(await again.get('a'), 'kept', 'the database opens and its data is intact')
  await again.close()
})

test('a database on a read-only mount: LEVEL_IO_ERROR as the cause, and the data stays', async function (t) {
  if (!isRoot) {
    t.skip('needs root to mount')
    return
  }
  const directory = accessibleDirectory()
  const readOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-ro-'))
  const db = new SophiaLevel(path.join(directory, 'db'))
  await db.put('a', 'kept')
  await db.close()
  try {
    execFileSync('mount', ['--bind', directory, readOnly], { stdio: 'pipe' })
  } catch (err) {
    t.skip(`cannot bind-mount: ${err.message}`)
    fs.rmSync(directory, { recursive: true, force: true })
    return
  }
  t.teardown(() => {
    try { execFileSync('umount', [readOnly], { stdio: 'pipe' }) } catch {}
    fs.rmSync(readOnly, { recursive: true, force: true })
    fs.rmSync(directory, { recursive: true, force: true })
  })
  execFileSync('mount', ['-o', 'remount,ro,bind', readOnly], { stdio: 'pipe' })
  for (const location of [path.join(readOnly, 'db'), path.join(readOnly, 'new')]) {
    const result = await settle(() => new SophiaLevel(location).open())
    assertHandled(t, `open ${path.basename(location)} on a read-only mount`, result, 'LEVEL_DATABASE_NOT_OPEN')
    if (!result.ok) t.is(result.error.cause?.code, 'LEVEL_IO_ERROR', result.error.cause?.message)
  }
  assertHandled(t, 'repair() on a read-only mount', await settle(() => SophiaLevel.repair(path.join(readOnly, 'db'))), 'LEVEL_IO_ERROR')
  execFileSync('umount', [readOnly], { stdio: 'pipe' })
  const again = new SophiaLevel(path.join(directory, 'db'))
  t.is(await again.get('a'), 'kept', 'data intact')
  await again.close()
})

test('a second opener, in another process or this one, is refused and changes nothing', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location)
  await db.batch(SEED.map(([key, value]) => ({ type: 'put', key, value })))
  const { code, signal, stderr, reports } = await tryOpenElsewhere([location])
  if (code !== 0) t.comment(stderr)
  t.is(code, 0, 'the other process exits normally')
  t.is(signal, null, 'and not by a signal')
  t.is(reports[0].open.code, 'LEVEL_DATABASE_NOT_OPEN', 'another process cannot open it')
  t.is(reports[0].open.causeCode, 'LEVEL_LOCKED', 'cause LEVEL_LOCKED')
  t.is(reports[0].repair.code, 'LEVEL_LOCKED', 'nor repair it')
  assertHandled(t, 'SophiaLevel.repair() here while it is open', await settle(() => SophiaLevel.repair(location)), 'LEVEL_LOCKED')
  const env = new SophiaEnv(location)
  env.database('main')
  const envOpen = await settle(() => env.open())
  assertHandled(t, 'a SophiaEnv on it', envOpen, ['LEVEL_LOCKED', 'LEVEL_DATABASE_NOT_OPEN'])
  t.same(await db.iterator().all(), SEED, 'the data is intact')
  await db.put('after', 'x')
  t.is(await db.get('after'), 'x', 'and the database still writes')
  await db.close()
})
