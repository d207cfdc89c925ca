'use strict'

// Statistics, properties and online backups.

const test = require('tape')
const { SophiaLevel, SophiaEnv } = require('..')
const { tempLocation } = require('./common')

async function code (promise) {
  try {
    await promise
    return 'ok'
  } catch (err) {
    return err.code || err.name
  }
}

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
