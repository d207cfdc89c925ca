'use strict'

// close() while work is in flight, and with resources left open: it waits,
// nothing crashes, and later use gets coded errors.

const test = require('tape')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

async function filled (count = 100) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  const batch = db.batch()
  for (let i = 0; i < count; i++) batch.put(String(i).padStart(6, '0'), 'value ' + i)
  await batch.write()
  return db
}

test('close() waits for writes with sync: true that are still being synced', async function (t) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  const writes = [
    db.put('a', '1', { sync: true }),
    db.del('b', { sync: true }),
    db.batch([{ type: 'put', key: 'c', value: '3' }], { sync: true }),
    db.batch().put('d', '4').write({ sync: true })
  ]
  await db.close()
  const results = await Promise.allSettled(writes)
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'], 'every write resolved')
  await db.open()
  t.same(await db.getMany(['a', 'c', 'd']), ['1', '3', '4'], 'and is there after reopening')
  await db.close()
})

test('close() waits for a clear() that runs in chunks', async function (t) {
  const db = await filled(5000)
  const clearing = db.clear()
  await db.close()
  await clearing
  await db.open()
  t.same(await db.keys().all(), [], 'the clear finished')
  await db.close()
})

test('close() with open iterators, snapshots and an unwritten chained batch', async function (t) {
  const db = await filled()
  const iterators = []
  for (let i = 0; i < 50; i++) {
    const it = db.iterator({ gte: String(i).padStart(6, '0') })
    if (i % 2 === 0) await it.next()
    iterators.push(it)
  }
  const snapshot = db.snapshot()
  const withSnapshot = db.iterator({ snapshot })
  const batch = db.batch().put('x', 'y')
  const reading = iterators[1].next()
  await db.close()
  t.ok(Array.isArray(await reading), 'a read in flight completed')
  for (const it of [iterators[0], withSnapshot]) {
    try {
      await it.next()
      t.fail('should throw')
    } catch (err) {
      t.is(err.code, 'LEVEL_ITERATOR_NOT_OPEN', 'iterators were closed')
    }
  }
  try {
    await batch.write()
    t.fail('should throw')
  } catch (err) {
    t.is(err.code, 'LEVEL_BATCH_NOT_OPEN', 'the batch was closed')
  }
  try {
    db.snapshot()
    t.fail('should throw')
  } catch (err) {
    t.is(err.code, 'LEVEL_DATABASE_NOT_OPEN', 'no new snapshots')
  }
  await db.open()
  t.is(await db.get('x'), undefined, 'the unwritten batch was dropped')
  t.is((await db.keys().all()).length, 100, 'data intact')
  await db.close()
})

test('an iterator whose snapshot was closed stops with LEVEL_SNAPSHOT_NOT_OPEN', async function (t) {
  const db = await filled(10)
  const snapshot = db.snapshot()
  const it = db.keys({ snapshot })
  t.is(await it.next(), '000000')
  await snapshot.close()
  try {
    await it.next()
    t.fail('should throw')
  } catch (err) {
    t.is(err.code, 'LEVEL_SNAPSHOT_NOT_OPEN')
  }
  await it.close()
  t.is((await db.keys().all()).length, 10, 'the database is unaffected')
  await db.close()
})

test('a snapshot of another database is refused', async function (t) {
  const one = await filled(1)
  const two = await filled(1)
  const snapshot = one.snapshot()
  try {
    await two.get('000000', { snapshot })
    t.fail('should throw')
  } catch (err) {
    t.ok(err instanceof TypeError, 'TypeError')
  }
  t.throws(() => two.iterator({ snapshot }), TypeError, 'iterator too')
  await snapshot.close()
  await Promise.all([one.close(), two.close()])
})

test('repeated open and close of one instance', async function (t) {
  const db = new SophiaLevel(tempLocation())
  for (let i = 0; i < 20; i++) {
    await db.open()
    await db.put('count', String(i))
    await db.close()
  }
  await db.open()
  t.is(await db.get('count'), '19')
  await db.close()
})
