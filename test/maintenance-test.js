'use strict'

// Statistics, properties and online backups.

const test = require('tape')
const { SophiaLevel, SophiaEnv } = require('..')
const { tempLocation, outcomeOf: code } = require('./common')

test('stats() counts entries, memory, the log and transactions', async function (t) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  const empty = await db.stats()
  t.is(empty.records, 0, 'empty')
  t.is(empty.status, 'online')
  const batch = db.batch()
  for (let i = 0; i < 500; i++) batch.put(String(i).padStart(4, '0'), 'x'.repeat(100))
  await batch.write()
  await db.del('0000')
  const stats = await db.stats()
  t.is(stats.records, 501, 'records: 500 keys and a deletion marker')
  t.ok(stats.memoryUsed > 500 * 100, `memoryUsed: ${stats.memoryUsed}`)
  await db.put('single', 'x')
  await db.get('single')
  const counted = (await db.stats()).operations
  t.same([counted.put, counted.del, counted.get], [1, 1, 1], 'single puts, deletes and gets are counted')
  t.ok(stats.log.files >= 1 && stats.log.bytes > 500 * 100, `log: ${JSON.stringify(stats.log)}`)
  await db.transaction(async (tx) => { await tx.put('t', '1') })
  const first = db.transaction()
  const second = db.transaction()
  await first.put('t', '2')
  await second.put('t', '3')
  await first.commit()
  t.is(await code(second.commit()), 'SOPHIA_TRANSACTION_CONFLICT')
  const after = await db.stats()
  t.ok(after.transactions.commits >= 2, `commits: ${after.transactions.commits}`)
  t.ok(after.transactions.conflicts + after.transactions.rollbacks >= 1, `conflicts and rollbacks: ${JSON.stringify(after.transactions)}`)
  t.is(typeof after.latency.get.max, 'number')
  await db.close()
  t.is(await code(db.stats()), 'LEVEL_DATABASE_NOT_OPEN')
})

test('getProperty() passes through any Sophia key', async function (t) {
  const db = new SophiaLevel(tempLocation(), { compression: 'zstd' })
  await db.open()
  t.is(db.getProperty('sophia.version'), '2.2')
  t.is(db.getProperty('db.main.compression'), 'zstd')
  t.is(db.getProperty('scheduler.threads'), '1')
  t.is(db.getProperty('no.such.key'), undefined)
  t.throws(() => db.getProperty(42), TypeError)
  t.ok(db.supports.additionalMethods.getProperty && db.supports.additionalMethods.stats, 'in the manifest')
  await db.close()
  t.throws(() => db.getProperty('sophia.version'), /not open/)
})

test('backup() copies the database while it is in use; the copy opens as a database', async function (t) {
  const backupPath = tempLocation()
  const db = new SophiaLevel(tempLocation(), { backupPath, valueEncoding: 'json' })
  await db.open()
  for (let i = 0; i < 1000; i++) await db.put(`k${i}`, { i })
  const writing = (async () => { for (let i = 0; i < 200; i++) await db.put(`during${i}`, { i }) })()
  const first = await db.backup()
  await writing
  await db.put('after', { late: true })
  const second = await db.backup()
  t.not(first, second, `two backups: ${first}, ${second}`)
  await db.close()
  const copy = new SophiaLevel(first, { valueEncoding: 'json' })
  await copy.open()
  t.same(await copy.get('k999'), { i: 999 }, 'data written before the backup')
  t.is(await copy.get('after'), undefined, 'nothing written after it')
  t.is((await copy.keys({ gte: 'k', lt: 'l' }).all()).length, 1000)
  await copy.close()
  const latest = new SophiaLevel(second, { valueEncoding: 'json' })
  t.same(await latest.get('after'), { late: true }, 'the second backup has the later write')
  await latest.close()

  const off = new SophiaLevel(tempLocation())
  await off.open()
  t.is(await code(off.backup()), 'SOPHIA_BACKUP_DISABLED', 'without backupPath')
  await off.close()
})

test('an environment backup keeps every database in its place', async function (t) {
  const backupPath = tempLocation()
  const env = new SophiaEnv(tempLocation(), { backupPath })
  const a = env.database('a')
  const b = env.database('b')
  await env.open()
  await a.put('key', 'in a')
  await b.put('key', 'in b')
  const directory = await env.backup()
  await env.close()
  const restored = new SophiaEnv(directory)
  const b2 = restored.database('b')
  const a2 = restored.database('a')
  await restored.open()
  t.same([await a2.get('key'), await b2.get('key')], ['in a', 'in b'])
  await restored.close()
})

// Writes `batches` batches of 1000 keys with 100-byte values: enough for a
// log of megabytes, far below the size at which Sophia flushes by itself.
async function fill (db, batches, prefix = 'k') {
  for (let b = 0; b < batches; b++) {
    await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put', key: `${prefix}${String(b * 1000 + i).padStart(6, '0')}`, value: 'v'.repeat(100) })))
  }
}

test('checkpoint() moves the data from memory and the log to node files; the log shrinks', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location)
  await db.open()
  await fill(db, 30)
  const before = await db.stats()
  t.ok(before.log.bytes > 3e6, `log before: ${before.log.bytes} bytes in ${before.log.files} file(s)`)
  t.ok(before.memoryUsed > 1e6, `in memory before: ${before.memoryUsed} bytes`)
  t.ok(before.diskSize < 4096, `node files before: ${before.diskSize} bytes`)
  await db.checkpoint()
  const after = await db.stats()
  t.ok(after.log.bytes < 1024, `log after: ${after.log.bytes} bytes in ${after.log.files} file(s)`)
  t.is(after.memoryUsed, 0, 'nothing left in memory')
  t.ok(after.diskSize > 3e6, `node files: ${after.diskSize} bytes`)
  await db.close()
  await db.open()
  t.is((await db.stats()).memoryUsed, 0, 'reopening replays nothing from the log')
  t.is((await db.keys().all()).length, 30000, 'every key is there')
  t.is(await db.get('k029999'), 'v'.repeat(100), 'values intact')
  await db.close()

  const unflushed = new SophiaLevel(tempLocation())
  await unflushed.open()
  await fill(unflushed, 5)
  await unflushed.close()
  await unflushed.open()
  t.ok((await unflushed.stats()).memoryUsed > 0, 'without a checkpoint, reopening replays the log into memory')
  await unflushed.close()
})

test('checkpoint(), compact() and gc() while reads and writes go on', async function (t) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  t.teardown(() => db.close())
  await fill(db, 10)
  let writes = 0
  let stop = false
  const writer = (async () => {
    while (!stop) {
      await db.put(`w${String(writes).padStart(6, '0')}`, String(writes))
      writes++
      if (writes % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  })()
  const reader = (async () => {
    let reads = 0
    while (!stop) {
      if (await db.get('k000500') !== 'v'.repeat(100)) throw new Error('read a wrong value')
      reads++
      if (reads % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  })()
  await db.checkpoint()
  await db.compact()
  await db.gc()
  await db.checkpoint()
  stop = true
  await Promise.all([writer, reader])
  t.pass(`two checkpoints, a compaction and a garbage collection during ${writes} writes and concurrent reads`)
  t.is((await db.keys({ gte: 'w' }).all()).length, writes, 'every write is there')
  t.is((await db.keys({ lt: 'w' }).all()).length, 10000, 'and every earlier key')
})

test('compact() drops old versions, deleted keys and expired rows', async function (t) {
  const db = new SophiaLevel(tempLocation(), { expire: 2 })
  await db.open()
  t.teardown(() => db.close())
  await fill(db, 5)
  await fill(db, 5)
  await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'del', key: `k${String(i).padStart(6, '0')}` })))
  const before = await db.stats()
  t.ok(before.records >= 10000, `${before.records} records before (versions and deletions included)`)
  await db.compact()
  const after = await db.stats()
  t.is(after.records, 4000, 'only the live keys are left')
  t.is(after.memoryUsed, 0, 'and all of them in node files')
  t.is((await db.keys().all()).length, 4000, 'reads agree')
  await new Promise((resolve) => setTimeout(resolve, 3100))
  t.same(await db.keys().all(), [], 'the rows have expired')
  t.is((await db.stats()).records, 4000, 'Sophia still holds them')
  await db.compact()
  t.is((await db.stats()).records, 0, 'compact() removes them')
})

test('gc() runs Sophia\'s garbage collection now', async function (t) {
  const db = new SophiaLevel(tempLocation(), { gcWatermark: 10 })
  await db.open()
  t.teardown(() => db.close())
  await fill(db, 5)
  await db.checkpoint()
  const snapshot = db.snapshot()
  await fill(db, 5)
  await db.checkpoint()
  await snapshot.close()
  const before = await db.stats()
  t.ok(before.duplicates >= 5000, `${before.duplicates} old versions kept for the snapshot`)
  await db.gc()
  t.is((await db.stats()).duplicates, 0, 'gone once the snapshot is closed')
  t.is((await db.keys().all()).length, 5000, 'the keys are intact')
})

// Without patches/0005, Sophia's gc rewrote the node again and again while
// the snapshot kept gc_wm percent of it, and gc() waited for the snapshot.
test('gc() ends while a snapshot keeps the old versions, and the periodic gc leaves them be', async function (t) {
  const db = new SophiaLevel(tempLocation(), { gcPeriod: 1 })
  await db.open()
  t.teardown(() => db.close())
  await fill(db, 5)
  const snapshot = db.snapshot()
  await fill(db, 5)
  await db.checkpoint()
  t.is((await db.stats()).duplicates, 5000, 'half the versions are kept for the snapshot')
  const nodes = Number(db.getProperty('metric.nsn'))
  let timer
  const outcome = await Promise.race([
    db.gc().then(() => 'done'),
    new Promise((resolve) => { timer = setTimeout(resolve, 3000, 'still running after 3 s') })
  ])
  clearTimeout(timer)
  t.is(outcome, 'done', 'gc() ends with the snapshot open')
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const rewrites = Number(db.getProperty('metric.nsn')) - nodes
  t.ok(rewrites <= 1, `${rewrites} node rewrites meanwhile, periodic gc included`)
  t.is((await db.stats()).duplicates, 5000, 'the snapshot\'s versions are still there')
  await snapshot.close()
  await db.gc()
  t.is((await db.stats()).duplicates, 0, 'gone once the snapshot is closed')
})

test('maintenance needs an open database; close() waits for it', async function (t) {
  const db = new SophiaLevel(tempLocation())
  for (const method of ['checkpoint', 'compact', 'gc']) t.is(await code(db[method]()), 'LEVEL_DATABASE_NOT_OPEN', `${method}() before open`)
  await db.open()
  await fill(db, 5)
  const checkpoint = db.checkpoint()
  await db.close()
  t.is(await code(checkpoint), 'ok', 'a checkpoint asked before close() completes')
  await db.open()
  t.is((await db.stats()).memoryUsed, 0, 'and was done')
  await db.close()
  for (const method of ['checkpoint', 'compact', 'gc']) t.is(await code(db[method]()), 'LEVEL_DATABASE_NOT_OPEN', `${method}() after close`)
})

test('env.checkpoint() flushes every database; the log they share shrinks only then', async function (t) {
  const env = new SophiaEnv(tempLocation())
  const users = env.database('users')
  const posts = env.database('posts')
  await env.open()
  t.teardown(() => env.close())
  await fill(users, 10, 'u')
  await fill(posts, 10, 'p')
  const before = await users.stats()
  await users.checkpoint()
  const afterOne = await users.stats()
  t.is(afterOne.memoryUsed, 0, 'one database checkpointed')
  t.ok(afterOne.log.bytes > before.log.bytes / 4, `the log stays (${afterOne.log.bytes} bytes): it holds the other's data`)
  await env.checkpoint()
  const afterAll = await posts.stats()
  t.is(afterAll.memoryUsed, 0, 'the other database too')
  t.ok(afterAll.log.bytes < 1024, `then the log shrinks: ${afterAll.log.bytes} bytes`)
  await env.compact()
  await env.gc()
  t.is((await users.keys().all()).length + (await posts.keys().all()).length, 20000, 'every key is there')
})
