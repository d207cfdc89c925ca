'use strict'

// Reads through a Sophia cursor that do not simply continue its last read:
// seeks, point reads through a snapshot, iterators sharing a snapshot. With
// the data in node files (not in memory), Sophia's per-cursor read cache
// made them skip or miss data until patches/0002-cursor-cache-continuation.patch.

const test = require('tape')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const keyOf = (i) => String(i).padStart(4, '0')

// cacheSize 0: the background thread flushes everything to node files.
async function flushedDb (t, count) {
  const db = new SophiaLevel(tempLocation(), { cacheSize: 0 })
  await db.open()
  const batch = db.batch()
  for (let i = 0; i < count; i++) batch.put(keyOf(i), 'v' + i)
  await batch.write()
  const deadline = Date.now() + 15000
  while (db.getProperty('db.main.index.memory_used') !== '0' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.is(db.getProperty('db.main.index.memory_used'), '0', 'all data is in node files')
  t.teardown(() => db.close())
  return db
}

test('point reads through a snapshot, in any order', async function (t) {
  const db = await flushedDb(t, 300)
  const snapshot = db.snapshot()
  await db.put(keyOf(5), 'changed after the snapshot')
  let wrong = 0
  for (let i = 299; i >= 0; i--) if ((await db.get(keyOf(i), { snapshot })) !== 'v' + i) wrong++
  t.is(wrong, 0, 'descending: every value right')
  const order = [150, 10, 299, 0, 100, 5, 200, 1]
  t.same(await db.getMany(order.map(keyOf), { snapshot }), order.map((i) => 'v' + i), 'getMany in shuffled order')
  t.same(await db.hasMany(['0003', '9999', '0002'], { snapshot }), [true, false, true], 'hasMany')
  await snapshot.close()
})

test('iterators seek back and forth, forward and reverse', async function (t) {
  const db = await flushedDb(t, 300)
  const it = db.keys()
  it.seek(keyOf(150))
  t.is(await it.next(), keyOf(150))
  it.seek(keyOf(10))
  t.is(await it.next(), keyOf(10), 'seek backward')
  t.same(await it.nextv(3), [keyOf(11), keyOf(12), keyOf(13)], 'and read on from there')
  it.seek(keyOf(250))
  t.is(await it.next(), keyOf(250), 'seek forward')
  await it.close()
  const reverse = db.keys({ reverse: true })
  t.is(await reverse.next(), keyOf(299))
  reverse.seek(keyOf(100))
  t.is(await reverse.next(), keyOf(100), 'reverse seek')
  reverse.seek(keyOf(280))
  t.same(await reverse.nextv(2), [keyOf(280), keyOf(279)], 'reverse seek back up')
  await reverse.close()
})

test('two iterators sharing a snapshot, read in turns', async function (t) {
  const db = await flushedDb(t, 300)
  const snapshot = db.snapshot()
  const forward = db.keys({ snapshot })
  const backward = db.keys({ snapshot, reverse: true })
  const seen = { forward: [], backward: [] }
  for (let i = 0; i < 300; i++) {
    seen.forward.push(await forward.next())
    seen.backward.push(await backward.next())
    if (i % 50 === 0) await db.get(keyOf(i), { snapshot })
  }
  t.same(seen.forward, Array.from({ length: 300 }, (_, i) => keyOf(i)), 'forward iterator complete and in order')
  t.same(seen.backward, Array.from({ length: 300 }, (_, i) => keyOf(299 - i)), 'reverse iterator complete and in order')
  await Promise.all([forward.close(), backward.close()])
  await snapshot.close()
})
