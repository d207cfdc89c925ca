'use strict'

// A full disk, on a small tmpfs mounted for the purpose (root only; skipped
// otherwise). Writes that cannot reach the disk reject with coded errors, and
// after space returns and the database is reopened, every acknowledged write
// is there and no refused one is.
//
// Two ways to fill it, with different outcomes in Sophia:
// - the write-ahead log cannot grow: the write that hit it fails with
//   LEVEL_IO_ERROR, Sophia stays online, reads go on, further writes fail the
//   same way. Sophia leaves the part of the record that fitted at the end of
//   the log; reopening drops it as a torn tail (warning SOPHIA_TORN_LOG_TAIL).
// - a background flush of the in-memory index to a node file fails: Sophia
//   goes into 'malfunction' (sophia.status) and refuses every write, even
//   once space is back, until the database is reopened.
//
// Left out, because they do not hold yet: writing again after space returns
// but before reopening (the new records land after the torn one, so that
// reopening reports LEVEL_CORRUPTION and repair() drops them), and reads while
// Sophia is in malfunction (it answers them as if nothing were stored).

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')
const ModuleError = require('module-error')
const { SophiaLevel } = require('..')

const DISK_SIZE = '8m'
const FILLER_BYTES = 1024 * 1024
const VALUE = 'x'.repeat(4000)
const FILL_LIMIT_MS = 30000
const MALFUNCTION_WAIT_MS = 10000
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Mounts a small tmpfs on a new directory, or skips the test. Everything the
// test opened there is closed, and the tmpfs unmounted, in teardown.
function smallDisk (t) {
  if (!isRoot) {
    t.skip('needs root, to mount a small tmpfs')
    return null
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_SIZE}`, 'tmpfs', directory], { stdio: 'pipe' })
  } catch (err) {
    fs.rmSync(directory, { recursive: true, force: true })
    t.skip(`cannot mount a tmpfs: ${String(err.stderr || err.message).trim()}`)
    return null
  }
  const databases = []
  t.teardown(async () => {
    for (const db of databases) await db.close().catch(() => {})
    try {
      execFileSync('umount', [directory], { stdio: 'pipe' })
    } catch {
      execFileSync('umount', ['-l', directory], { stdio: 'pipe' })
    }
    fs.rmSync(directory, { recursive: true, force: true })
  })
  const filler = path.join(directory, 'filler')
  fs.writeFileSync(filler, Buffer.alloc(FILLER_BYTES, 1))
  return {
    location: path.join(directory, 'db'),
    // A SophiaLevel closed in teardown whatever happens.
    open (location, options) {
      const db = new SophiaLevel(location, options)
      databases.push(db)
      return db
    },
    freeSpace () {
      fs.rmSync(filler, { force: true })
    }
  }
}

// Writes in rotation until one is refused: array batches (with and without
// sync), chained batches, single puts and deletes. The model holds exactly
// what was acknowledged.
async function fillUntilRefused (db, model, { batchSize = 100, pause = false } = {}) {
  const started = Date.now()
  let n = 0
  const key = () => 'w' + String(n++).padStart(8, '0')
  const writes = [
    ['batch', async () => {
      const ops = Array.from({ length: batchSize }, () => ({ type: 'put', key: key(), value: VALUE }))
      await db.batch(ops)
      return ops
    }],
    ['batch with sync: true', async () => {
      const ops = Array.from({ length: batchSize }, () => ({ type: 'put', key: key(), value: VALUE }))
      await db.batch(ops, { sync: true })
      return ops
    }],
    ['chained batch', async () => {
      const ops = Array.from({ length: batchSize }, () => ({ type: 'put', key: key(), value: VALUE }))
      const batch = db.batch()
      for (const op of ops) batch.put(op.key, op.value)
      await batch.write()
      return ops
    }],
    ['put', async () => {
      const op = { type: 'put', key: key(), value: VALUE }
      await db.put(op.key, op.value)
      return [op]
    }],
    ['put with sync: true', async () => {
      const op = { type: 'put', key: key(), value: VALUE }
      await db.put(op.key, op.value, { sync: true })
      return [op]
    }],
    ['del', async () => {
      const [first] = model.keys()
      if (first === undefined) return []
      await db.del(first)
      return [{ type: 'del', key: first }]
    }]
  ]
  for (let round = 0; Date.now() - started < FILL_LIMIT_MS; round++) {
    const [kind, write] = writes[round % writes.length]
    let ops
    try {
      ops = await write()
    } catch (error) {
      return { kind, error, acknowledged: model.size }
    }
    for (const op of ops) {
      if (op.type === 'put') model.set(op.key, op.value)
      else model.delete(op.key)
    }
    // Lets Sophia's background thread run (it flushes with cacheSize 0).
    if (pause) await sleep(2)
  }
  return { kind: null, error: null, acknowledged: model.size }
}

function entriesOf (model) {
  return [...model.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

async function refusal (call) {
  try {
    await call()
    return null
  } catch (err) {
    return err
  }
}

// The writes tried on a full disk once one has been refused, on entries that
// exist (so that deleting them would change something), each with what it
// does to the model if it is acknowledged: a small one may still fit.
function laterWrites (db, model) {
  const [first, second] = [...model.keys()].sort().slice(-2)
  const put = (key) => () => model.set(key, VALUE)
  return {
    put: [() => db.put('later/put', VALUE), put('later/put')],
    'put with sync: true': [() => db.put('later/sync', VALUE, { sync: true }), put('later/sync')],
    'array batch': [() => db.batch([{ type: 'put', key: 'later/b1', value: VALUE }, { type: 'del', key: first }]),
      () => { model.set('later/b1', VALUE); model.delete(first) }],
    'array batch with sync: true': [() => db.batch([{ type: 'put', key: 'later/s1', value: VALUE }], { sync: true }), put('later/s1')],
    'chained batch': [() => db.batch().put('later/c1', VALUE).del(second).write(),
      () => { model.set('later/c1', VALUE); model.delete(second) }],
    del: [() => db.del(first), () => model.delete(first)],
    'transaction commit': [() => db.transaction(async (tx) => tx.put('later/tx', VALUE)), put('later/tx')],
    clear: [() => db.clear({ gte: first, lte: second }), () => { model.delete(first); model.delete(second) }]
  }
}

// Reopens the database, collecting the warnings emitted meanwhile.
async function reopen (db) {
  const warnings = []
  const onWarning = (warning) => warnings.push(warning)
  process.on('warning', onWarning)
  try {
    await db.open()
  } finally {
    process.removeListener('warning', onWarning)
  }
  return warnings
}

test('a full disk under the write-ahead log: LEVEL_IO_ERROR, reads go on, and a reopen brings back every acknowledged write', async function (t) {
  const disk = smallDisk(t)
  if (disk === null) return
  const db = disk.open(disk.location)
  await db.open()
  const model = new Map()
  const { kind, error, acknowledged } = await fillUntilRefused(db, model)
  t.ok(error !== null, `a write was refused (after ${acknowledged} acknowledged entries)`)
  if (error === null) return
  t.comment(`first refused: ${kind}: ${error.code}: ${error.message}`)
  t.ok(error instanceof ModuleError, 'a ModuleError')
  t.is(error.code, 'LEVEL_IO_ERROR', 'LEVEL_IO_ERROR')
  // Sophia keeps 255 bytes of an error message: with a long path, the
  // strerror() text at its end may be cut off.
  t.ok(error.message.includes("log file '"), 'with Sophia\'s message')
  t.is(db.getProperty('sophia.status'), 'online', 'Sophia stays online after a failed log write')

  let refused = 0
  for (const [name, [call, effect]] of Object.entries(laterWrites(db, model))) {
    const err = await refusal(call)
    if (err === null) {
      effect()
      t.pass(`${name} on the full disk: fits in the space left, acknowledged`)
    } else {
      refused++
      t.ok(err instanceof ModuleError && err.code === 'LEVEL_IO_ERROR', `${name} on the full disk: ${err.code}`)
    }
  }
  t.comment(`${refused} of the later writes refused`)

  const expected = entriesOf(model)
  t.same(await db.iterator().all(), expected, 'an iterator reads every acknowledged entry, and nothing refused')
  const sample = expected.filter((entry, i) => i % 97 === 0)
  t.same(await db.getMany(sample.map(([key]) => key)), sample.map(([, value]) => value), 'getMany reads them')
  t.is(db.getSync(sample[0][0]), sample[0][1], 'getSync reads them')
  t.is(await db.has('later/put'), model.has('later/put'), 'a refused write is not visible, an acknowledged one is')
  const snapshot = db.snapshot()
  t.same(await db.keys({ snapshot, limit: 3 }).all(), expected.slice(0, 3).map(([key]) => key), 'a snapshot reads them')
  await snapshot.close()
  t.same(await db.transaction(async (tx) => tx.get(sample[1][0])), sample[1][1], 'a transaction reads them')
  t.is((await db.stats()).status, 'online', 'stats() says online')

  disk.freeSpace()
  await db.close()
  const warnings = await reopen(db)
  for (const warning of warnings) t.comment(`on reopening: ${warning.code}: ${warning.message}`)
  t.ok(warnings.every((warning) => warning.code === 'SOPHIA_TORN_LOG_TAIL'), `reopening warns only of the torn tail (${warnings.length} warning(s))`)
  t.same(await db.iterator().all(), expected, 'after reopening: every acknowledged entry, and nothing refused')
  t.is(db.getProperty('sophia.status'), 'online', 'online')

  await db.put('after/put', 'a', { sync: true })
  await db.batch([{ type: 'put', key: 'after/batch', value: 'b' }])
  t.same(await db.getMany(['after/put', 'after/batch']), ['a', 'b'], 'writes work again')
  await db.close()
  await db.open()
  t.same(await db.iterator({ lt: 'after0' }).all(), [['after/batch', 'b'], ['after/put', 'a']], 'and survive another reopening')
  t.same(await db.iterator({ gte: 'w' }).all(), expected.filter(([key]) => key >= 'w'), 'with everything from before')
})

test('a background flush failing on a full disk: Sophia goes into malfunction, and loses nothing acknowledged', async function (t) {
  const disk = smallDisk(t)
  if (disk === null) return
  // cacheSize 0: Sophia flushes the in-memory index to node files all along,
  // so the disk also fills from its background thread.
  const db = disk.open(disk.location, { cacheSize: 0 })
  await db.open()
  const model = new Map()
  const { kind, error, acknowledged } = await fillUntilRefused(db, model, { batchSize: 10, pause: true })
  t.ok(error !== null, `a write was refused (after ${acknowledged} acknowledged entries)`)
  if (error === null) return
  t.comment(`first refused: ${kind}: ${error.code}: ${error.message}`)
  t.ok(error instanceof ModuleError && /^(LEVEL|SOPHIA)_/.test(error.code), `a ModuleError with a code: ${error.code}`)

  const deadline = Date.now() + MALFUNCTION_WAIT_MS
  while (db.getProperty('sophia.status') !== 'malfunction' && Date.now() < deadline) await sleep(50)
  const status = db.getProperty('sophia.status')
  t.comment(`sophia.status: ${status}`)
  if (status === 'malfunction') {
    t.is((await db.stats()).status, 'malfunction', 'stats() says malfunction')
    // Writes still go to the log while there is room for them: each is
    // either acknowledged (and must survive) or refused with a code.
    for (const phase of ['in malfunction', 'in malfunction, space back']) {
      for (const [name, [call, effect]] of Object.entries(laterWrites(db, model))) {
        const err = await refusal(call)
        if (err === null) effect()
        t.ok(err === null || (err instanceof ModuleError && /^(LEVEL|SOPHIA)_/.test(err.code)), `${name} ${phase}: ${err === null ? 'acknowledged' : err.code}`)
      }
      if (phase === 'in malfunction') disk.freeSpace()
    }
  } else {
    t.comment('Sophia stayed online: the log filled up before a flush failed')
    disk.freeSpace()
  }

  await db.close()
  const warnings = await reopen(db)
  for (const warning of warnings) t.comment(`on reopening: ${warning.code}: ${warning.message}`)
  t.is(db.getProperty('sophia.status'), 'online', 'reopened: online')
  t.same(await db.iterator().all(), entriesOf(model), 'after reopening: every acknowledged entry, and nothing refused')
  await db.put('after', 'a')
  t.is(await db.get('after'), 'a', 'writes work again')
})

test('writes acknowledged once space returns, without reopening, survive a reopen', async function (t) {
  const disk = smallDisk(t)
  if (disk === null) return
  const db = disk.open(disk.location)
  await db.open()
  const model = new Map()
  const { error } = await fillUntilRefused(db, model)
  t.ok(error !== null && error.code === 'LEVEL_IO_ERROR', `a write was refused: ${error && error.code}`)
  if (error === null) return
  disk.freeSpace()
  // The refused write left part of itself in the log: the next writes must
  // not land after it (patches/0003-log-write-failure-rollback.patch).
  for (let i = 0; i < 20; i++) {
    const key = 'z' + String(i).padStart(3, '0')
    await db.put(key, VALUE, { sync: i % 2 === 0 })
    model.set(key, VALUE)
  }
  await db.batch([{ type: 'put', key: 'zbatch', value: VALUE }])
  model.set('zbatch', VALUE)
  await db.close()
  try {
    await reopen(db)
  } catch (err) {
    t.fail(`reopening failed: ${err.cause && err.cause.code}: ${err.cause && err.cause.message}`)
    return
  }
  t.same(await db.iterator().all(), entriesOf(model), `after reopening: all ${model.size} acknowledged entries, those written after the refusal included`)
})
