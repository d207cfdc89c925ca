'use strict'

// With plain keys the binding hands a batch's writes to Sophia in key order
// (binding/environment.cc, Environment::Batch). The outcome must be exactly
// that of applying them in the batch's own order: the last write to a key
// wins, and an invalid operation is reported as the first one in the batch's
// order would be, with nothing written.

const test = require('tape')
const { NativeEnvironmentClass } = require('../dist/native')
const { BatchPacker } = require('../dist/packed-batch')
const { tempLocation, openTempDb: openDb, seededRandom: random } = require('./common')

// Applies operations in order to a Map, as the batch must.
function applyTo (model, operations, keyOf = (key) => key) {
  for (const op of operations) {
    if (op.type === 'put') model.set(keyOf(op.key), op.value)
    else model.delete(keyOf(op.key))
  }
}

test('shuffled batches with repeated keys: the last write to each key wins', async function (t) {
  const db = await openDb(t, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  const next = random(7)
  const model = new Map()
  let repeated = 0
  for (let b = 0; b < 40; b++) {
    const operations = []
    const seen = new Set()
    for (let i = 0; i < 300; i++) {
      // 200 possible keys: most batches write some keys several times.
      const key = `k${Math.floor(next() * 200)}`
      if (seen.has(key)) repeated++
      seen.add(key)
      // Some values are long strings, which the binding reads from the
      // operations array and must keep until the sorted writes are applied.
      const value = next() < 0.05 ? `${key}/${b}/${i}/` + 'v'.repeat(30000) : `${key}/${b}/${i}`
      operations.push(next() < 0.2 ? { type: 'del', key } : { type: 'put', key, value })
    }
    await db.batch(operations)
    applyTo(model, operations)
  }
  t.ok(repeated > 1000, `keys written more than once in a batch: ${repeated} times`)
  const expected = [...model.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  const stored = await db.iterator().all()
  t.is(stored.length, expected.length, `${expected.length} keys`)
  t.ok(stored.every(([key, value], i) => key === expected[i][0] && value === expected[i][1]), 'every key holds its last write')
})

test('chained batches and sublevels too', async function (t) {
  const db = await openDb(t)
  const sub = db.sublevel('s')
  const batch = db.batch()
  batch.put('b', '1').put('a', '1', { sublevel: sub }).put('a', '2').del('b').put('b', '3').put('a', '4', { sublevel: sub })
  batch.put('c', '1').del('c').del('a', { sublevel: sub }).put('a', '5', { sublevel: sub })
  await batch.write()
  t.same(await db.iterator().all(), [['!s!a', '5'], ['a', '2'], ['b', '3']], 'each key as the batch left it')
})

test('multi-part keys keep the batch order, with the same outcome', async function (t) {
  const db = await openDb(t, { keySchema: [{ name: 'user', type: 'string' }, { name: 'n', type: 'u32' }], valueEncoding: 'utf8' })
  const next = random(11)
  const operations = []
  for (let i = 0; i < 500; i++) {
    const key = [`u${Math.floor(next() * 5)}`, Math.floor(next() * 20)]
    operations.push(next() < 0.2 ? { type: 'del', key } : { type: 'put', key, value: String(i) })
  }
  await db.batch(operations)
  const model = new Map()
  applyTo(model, operations, (key) => JSON.stringify(key))
  const stored = await db.iterator().all()
  t.is(stored.length, model.size, `${model.size} keys`)
  t.ok(stored.every(([key, value]) => model.get(JSON.stringify(key)) === value), 'every key holds its last write')
})

test('the first invalid operation in the batch\'s order is the one reported', async function (t) {
  const env = new NativeEnvironmentClass()
  const [db] = await env.open(tempLocation(), true, false, 1, ['main'], [])
  const tooLong = Buffer.alloc(1025, 0)
  // In key order the oversized key (zero bytes) comes first; in the batch's
  // order the value of the wrong type does.
  const write = (add) => {
    const packer = new BatchPacker()
    add(packer)
    env.batch(db, packer.frames(), packer.fields())
  }
  const wrongTypeFirst = (packer) => {
    packer.put(Buffer.from('ok'), Buffer.from('1'))
    packer.put(Buffer.from('zz'), 12)
    packer.put(tooLong, Buffer.from('x'))
  }
  t.throws(() => write(wrongTypeFirst), /^TypeError: Value must be a string, Buffer or Uint8Array$/, 'the value of the wrong type')
  const tooLongFirst = (packer) => {
    packer.put(tooLong, Buffer.from('x'))
    packer.del(Buffer.from('ok'))
    packer.put(Buffer.from('a'), 12)
  }
  t.throws(() => write(tooLongFirst), (err) => err.code === 'SOPHIA_KEY_TOO_LARGE', 'the oversized key')
  const iterator = env.iterator(db, 2 | 4, undefined, undefined)
  t.is(iterator.nextv(10, Infinity), undefined, 'nothing was written')
  iterator.close()
  await env.close()
})

test('a key locked by a transaction, whatever its place in key order', async function (t) {
  const db = await openDb(t)
  const tx = db.transaction()
  await tx.put('m', 'tx')
  for (const keys of [['a', 'm', 'z'], ['z', 'a', 'm'], ['m', 'b']]) {
    const err = await db.batch(keys.map((key) => ({ type: 'put', key, value: 'plain' }))).then(() => null, (err) => err)
    t.is(err?.code, 'SOPHIA_TRANSACTION_LOCKED', `${keys.join(', ')}: locked`)
  }
  t.same(await db.iterator().all(), [], 'nothing was written')
  await tx.commit()
  await db.batch([{ type: 'put', key: 'z', value: '1' }, { type: 'put', key: 'm', value: '2' }])
  t.same(await db.iterator().all(), [['m', '2'], ['z', '1']], 'free once the transaction ended')
})
