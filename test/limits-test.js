'use strict'

// Sophia rejects keys over 1024 bytes and would store an oversized value as
// empty: both are checked before Sophia sees them, with coded errors, and
// leave the stored data as it was.

const test = require('tape')
const ModuleError = require('module-error')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const MAX_KEY = 1024
const MAX_VALUE = 2047 * 1024 * 1024

function openDb (t) {
  const db = new SophiaLevel(tempLocation(), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  t.teardown(() => db.close())
  return db
}

async function rejects (t, promise, code, message) {
  try {
    await promise
    t.fail(`${message}: should have been rejected`)
  } catch (err) {
    t.is(err.code, code, message)
    t.ok(err instanceof ModuleError, `${message}: a ModuleError`)
  }
}

test('a key of 1024 bytes works, 1025 bytes is SOPHIA_KEY_TOO_LARGE everywhere', async function (t) {
  const db = openDb(t)
  const largest = Buffer.alloc(MAX_KEY, 'k')
  const tooLarge = Buffer.alloc(MAX_KEY + 1, 'k')
  await db.put(largest, Buffer.from('v'))
  t.same(await db.get(largest), Buffer.from('v'), 'the largest key round trips')

  await rejects(t, db.put(tooLarge, Buffer.from('x')), 'SOPHIA_KEY_TOO_LARGE', 'put')
  await rejects(t, db.get(tooLarge), 'SOPHIA_KEY_TOO_LARGE', 'get')
  await rejects(t, db.del(tooLarge), 'SOPHIA_KEY_TOO_LARGE', 'del')
  await rejects(t, db.has(tooLarge), 'SOPHIA_KEY_TOO_LARGE', 'has')
  await rejects(t, db.getMany([largest, tooLarge]), 'SOPHIA_KEY_TOO_LARGE', 'getMany')
  t.throws(() => db.getSync(tooLarge), /more than the limit of 1024 bytes/, 'getSync throws, naming the limit')
  await rejects(t, db.batch([
    { type: 'put', key: Buffer.from('first'), value: Buffer.from('1') },
    { type: 'put', key: tooLarge, value: Buffer.from('2') }
  ]), 'SOPHIA_KEY_TOO_LARGE', 'batch')
  await rejects(t, db.batch().put(Buffer.from('first'), Buffer.from('1')).del(tooLarge).write(), 'SOPHIA_KEY_TOO_LARGE', 'chained batch')
  t.same((await db.keys().all()).map((k) => k.length), [MAX_KEY], 'nothing else was stored: batches are all or nothing')
})

test('a key made too large by a sublevel prefix is refused too', async function (t) {
  const db = openDb(t)
  const sub = db.sublevel('sub', { keyEncoding: 'buffer' })
  await rejects(t, sub.put(Buffer.alloc(MAX_KEY - 2, 'k'), Buffer.from('v')), 'SOPHIA_KEY_TOO_LARGE', 'prefix plus key over the limit')
  await sub.put(Buffer.alloc(MAX_KEY - 5, 'k'), Buffer.from('v'))
  t.is((await sub.keys().all()).length, 1, 'prefix plus key at the limit works')
})

test('a value over the limit is SOPHIA_VALUE_TOO_LARGE and nothing changes', async function (t) {
  const db = openDb(t)
  const key = Buffer.from('k')
  await db.put(key, Buffer.from('before'))
  // Not zero-filled: the size is checked before any byte is read.
  const tooLarge = Buffer.allocUnsafe(MAX_VALUE + 1)
  await rejects(t, db.put(key, tooLarge), 'SOPHIA_VALUE_TOO_LARGE', 'put')
  await rejects(t, db.batch([{ type: 'put', key: Buffer.from('other'), value: Buffer.from('x') }, { type: 'put', key, value: tooLarge }]), 'SOPHIA_VALUE_TOO_LARGE', 'batch')
  t.same(await db.get(key), Buffer.from('before'), 'the old value is intact')
  t.is(await db.get(Buffer.from('other')), undefined, 'no part of the batch was applied')
})

test('values of several MiB round trip through the log and reopening', async function (t) {
  const db = openDb(t)
  const value = Buffer.alloc(8 * 1024 * 1024)
  for (let i = 0; i < value.length; i += 4096) value[i] = i % 251
  await db.put(Buffer.from('big'), value)
  t.ok((await db.get(Buffer.from('big'))).equals(value), 'read back')
  await db.close()
  await db.open()
  t.ok((await db.get(Buffer.from('big'))).equals(value), 'read back after reopening')
})

test('range bounds and seek targets longer than any key still select correctly', async function (t) {
  const db = openDb(t)
  const key = (fill, extra = '') => Buffer.concat([Buffer.alloc(MAX_KEY - extra.length, fill), Buffer.from(extra)])
  const keys = [key('a'), key('b', 'x'), key('b'), key('c')]
  await db.batch(keys.map((k) => ({ type: 'put', key: k, value: Buffer.from('') })))
  const sorted = keys.slice().sort(Buffer.compare)
  const long = Buffer.concat([key('b'), Buffer.from('zz')]) // sorts just after key('b')
  const ids = (list) => list.map((k) => sorted.findIndex((s) => s.equals(k)))
  t.same(ids(await db.keys({ gte: long }).all()), ids(sorted.filter((k) => Buffer.compare(k, long) >= 0)), 'gte')
  t.same(ids(await db.keys({ gt: long }).all()), ids(sorted.filter((k) => Buffer.compare(k, long) > 0)), 'gt')
  t.same(ids(await db.keys({ lte: long, reverse: true }).all()), ids(sorted.filter((k) => Buffer.compare(k, long) <= 0).reverse()), 'lte reverse')
  t.same(ids(await db.keys({ lt: long }).all()), ids(sorted.filter((k) => Buffer.compare(k, long) < 0)), 'lt')
  const it = db.keys()
  it.seek(long)
  t.same(ids(await it.all()), ids(sorted.filter((k) => Buffer.compare(k, long) >= 0)), 'seek forward')
  const back = db.keys({ reverse: true })
  back.seek(long)
  t.same(ids(await back.all()), ids(sorted.filter((k) => Buffer.compare(k, long) <= 0).reverse()), 'seek backward')
})
