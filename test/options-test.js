'use strict'

// Sophia's configuration as options: validated before opening, applied, and
// the options Sophia keeps with a database checked against what is on disk.

const test = require('tape')
const fs = require('fs')
const path = require('path')
const { SophiaLevel, SophiaEnv } = require('..')
const { tempLocation } = require('./common')

function sizeOf (directory) {
  let total = 0
  for (const name of fs.readdirSync(directory, { recursive: true })) {
    // Sophia's background thread may remove a file between the two calls.
    const stat = fs.statSync(path.join(directory, name), { throwIfNoEntry: false })
    if (stat !== undefined && stat.isFile()) total += stat.size
  }
  return total
}

// With cacheSize 0 the background thread flushes at every step; wait until a
// node file holds the data.
async function flushed (directory) {
  const deadline = Date.now() + 15000
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    if (fs.readdirSync(directory).some((name) => name.endsWith('.db')) && sizeOf(directory) > 0) break
  }
  await new Promise((resolve) => setTimeout(resolve, 300))
  return sizeOf(directory)
}

async function openCause (db) {
  try {
    await db.open()
    return null
  } catch (err) {
    return err.cause
  }
}

test('bad options are TypeError or RangeError naming the option, before anything opens', function (t) {
  const location = tempLocation()
  const cases = [
    [{ compression: 'gzip' }, RangeError, 'compression'], [{ compression: 1 }, TypeError, 'compression'],
    [{ nodeSize: 1024 }, RangeError, 'nodeSize'], [{ nodeSize: '1' }, TypeError, 'nodeSize'],
    [{ pageSize: 100 }, RangeError, 'pageSize'], [{ nodeSize: 2 * 1024 * 1024, pageSize: 4 * 1024 * 1024 }, RangeError, 'pageSize'],
    [{ pageChecksum: 'yes' }, TypeError, 'pageChecksum'], [{ mmap: 1 }, TypeError, 'mmap'],
    [{ directIo: true }, RangeError, 'directIo'], [{ cacheSize: -1 }, RangeError, 'cacheSize'],
    [{ gcWatermark: 0 }, RangeError, 'gcWatermark'], [{ gcWatermark: 101 }, RangeError, 'gcWatermark'],
    [{ gcPeriod: 0.5 }, RangeError, 'gcPeriod'], [{ logPath: '' }, TypeError, 'logPath'],
    [{ sync: 'always' }, TypeError, 'sync'], [{ threads: 0 }, RangeError, 'threads']
  ]
  for (const [options, type, name] of cases) {
    t.throws(() => new SophiaLevel(location, options), (err) => err instanceof type && err.message.includes(`'${name}'`), `${JSON.stringify(options)}: ${type.name} naming ${name}`)
  }
  t.notOk(fs.existsSync(location), 'nothing created')
  t.end()
})

test('compression shrinks the database files (none vs zstd); lz4 is refused', async function (t) {
  const sizes = {}
  const value = 'the quick brown fox jumps over the lazy dog '.repeat(20)
  for (const compression of ['none', 'zstd']) {
    const location = tempLocation()
    const db = new SophiaLevel(location, { compression, cacheSize: 0 })
    await db.open()
    const batch = db.batch()
    for (let i = 0; i < 10000; i++) batch.put(String(i).padStart(8, '0'), value)
    await batch.write()
    sizes[compression] = await flushed(path.join(location, 'main'))
    t.is((await db.get('00000042')), value, `${compression}: reads back`)
    await db.close()
  }
  t.ok(sizes.none > 8 * 1000 * 1000, `uncompressed: ${sizes.none} bytes`)
  t.ok(sizes.zstd * 5 < sizes.none, `zstd: ${sizes.zstd} bytes`)
  t.throws(() => new SophiaLevel(tempLocation(), { compression: 'lz4' }), /corrupts values/, 'lz4: refused, with the reason')
})

test('options Sophia keeps with a database must match on reopening', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location, { compression: 'zstd', nodeSize: 8 * 1024 * 1024, pageSize: 64 * 1024, pageChecksum: false })
  await db.open()
  await db.put('k', 'v')
  await db.close()
  for (const [option, value] of [['compression', 'none'], ['nodeSize', 16 * 1024 * 1024], ['pageSize', 32 * 1024]]) {
    const cause = await openCause(new SophiaLevel(location, { [option]: value }))
    t.is(cause && cause.code, 'SOPHIA_OPTION_MISMATCH', `${option}: ${cause && cause.message}`)
  }
  const same = new SophiaLevel(location, { compression: 'zstd', nodeSize: 8 * 1024 * 1024, pageSize: 64 * 1024, pageChecksum: true, cacheSize: 1024, gcWatermark: 50, gcPeriod: 5, mmap: false })
  await same.open()
  t.is(await same.get('k'), 'v', 'the same kept options, and others changed, open it')
  await same.close()
  const unspecified = new SophiaLevel(location)
  await unspecified.open()
  t.is(await unspecified.get('k'), 'v', 'leaving kept options out opens it with what it keeps')
  await unspecified.close()
})

test('logPath puts the write-ahead log elsewhere; sync makes every commit durable', async function (t) {
  const location = tempLocation()
  const logPath = tempLocation()
  const db = new SophiaLevel(location, { logPath, sync: true })
  await db.put('k', 'v')
  t.ok(fs.readdirSync(logPath).some((name) => name.endsWith('.log')), 'log files in logPath')
  t.notOk(fs.existsSync(path.join(location, 'log')), 'none in the location')
  await db.close()
  const again = new SophiaLevel(location, { logPath })
  t.is(await again.get('k'), 'v', 'replayed from logPath')
  await again.close()
})

test('a SophiaEnv takes environment options, and storage options per database', async function (t) {
  const location = tempLocation()
  const env = new SophiaEnv(location, { threads: 2, sync: false })
  const packed = env.database('packed', { compression: 'zstd' })
  const plain = env.database('plain')
  t.throws(() => env.database('other', { threads: 2 }), /belongs to the environment/, 'environment options are refused per database')
  t.throws(() => env.database('bad', { compression: 'gzip' }), RangeError)
  await env.open()
  await packed.put('k', '1')
  await plain.put('k', '2')
  await env.close()
  const reopened = new SophiaEnv(location)
  const wrong = reopened.database('packed', { compression: 'none' })
  reopened.database('plain')
  const cause = await openCause(wrong)
  t.is(cause && cause.code, 'SOPHIA_OPTION_MISMATCH', 'per-database kept options are checked')
  await reopened.close()
})
