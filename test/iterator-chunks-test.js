'use strict'

// How the native iterator hands out entries: one packed Buffer per call,
// bounded by count and by bytes (Infinity meaning no byte bound), and how the
// JS iterators use it.

const test = require('tape')
const { NativeEnvironmentClass } = require('../dist/native')
const { BatchPacker } = require('../dist/packed-batch')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const KEYS = 2
const VALUES = 4

function entriesIn (chunk) {
  let count = 0
  for (let offset = 0; offset < chunk.length; count++) {
    offset += 4 + chunk.readUInt32LE(offset)
    offset += 4 + chunk.readUInt32LE(offset)
  }
  return count
}

test('native nextv: bounded by count and bytes, unbounded with Infinity', async function (t) {
  const env = new NativeEnvironmentClass()
  const [db] = await env.open(tempLocation(), true, false, 1, ['main'], [])
  const packer = new BatchPacker()
  for (let i = 0; i < 3000; i++) packer.put(String(i).padStart(5, '0'), 'value')
  env.batch(db, packer.frames(), packer.fields())

  const all = env.iterator(db, KEYS | VALUES, undefined, undefined)
  t.is(entriesIn(all.nextv(5000, Infinity)), 3000, 'Infinity: every entry in one call')
  t.is(all.nextv(1, Infinity), undefined, 'then the end')
  all.close()

  const counted = env.iterator(db, KEYS | VALUES, undefined, undefined)
  t.is(entriesIn(counted.nextv(7, Infinity)), 7, 'count bounds')
  t.is(entriesIn(counted.nextv(1000, 1)), 1, 'one byte: one entry, never none')
  t.is(entriesIn(counted.nextv(1000, 64)), 4, 'bytes bound: 4 entries of 18 bytes reach 64')
  counted.close()
  await env.close()
})

test('all() and nextv() return every entry whatever highWaterMarkBytes says', async function (t) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  const batch = db.batch()
  for (let i = 0; i < 2500; i++) batch.put(String(i).padStart(5, '0'), 'v')
  await batch.write()
  for (const highWaterMarkBytes of [1, 100, undefined]) {
    t.is((await db.iterator({ highWaterMarkBytes }).all()).length, 2500, `all() with ${highWaterMarkBytes}`)
    const it = db.iterator({ highWaterMarkBytes })
    let total = 0
    let calls = 0
    for (let entries; (entries = await it.nextv(1000)).length > 0; calls++) total += entries.length
    t.is(total, 2500, `nextv() with ${highWaterMarkBytes} in ${calls} calls`)
    if (highWaterMarkBytes === 1) t.is(calls, 2500, 'one entry per call at 1 byte')
    await it.close()
  }
  await db.close()
})

// The native side reads Sophia in batches sized by each call's count and
// bytes, each going on from the last key of the one before: reads of every
// size, both directions, seeks, multi-part keys and a transaction's merged
// writes must still see every entry once, in order.
test('batch boundaries: every read size, direction, seek and key kind sees the model', async function (t) {
  const COUNT = 2500
  const plain = new SophiaLevel(tempLocation(), { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  const multi = new SophiaLevel(tempLocation(), { keySchema: [{ name: 'a', type: 'string' }, { name: 'b', type: 'u32' }] })
  await Promise.all([plain.open(), multi.open()])
  t.teardown(() => Promise.all([plain.close(), multi.close()]))
  const plainKeys = []
  const multiKeys = []
  for (let i = 0; i < COUNT; i++) {
    plainKeys.push(`k${String(i * 7919 % 100003).padStart(6, '0')}`)
    multiKeys.push([`g${i % 13}`, i * 104729 % 65537])
  }
  await plain.batch(plainKeys.map((key) => ({ type: 'put', key, value: `v-${key}`.repeat(1 + key.length % 5) })))
  await multi.batch(multiKeys.map((key) => ({ type: 'put', key, value: `${key[0]}/${key[1]}` })))
  const plainModel = plainKeys.slice().sort()
  const multiModel = multiKeys.slice().sort((x, y) => x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]).map((key) => `${key[0]}/${key[1]}`)

  async function read (db, options, size) {
    const iterator = db.values(options)
    const seen = []
    let chunk
    while ((chunk = await iterator.nextv(size)).length > 0) seen.push(...chunk)
    await iterator.close()
    return seen
  }
  let wrong = 0
  let reads = 0
  for (const size of [1, 7, 64, 333, 1000, 5000]) {
    for (const highWaterMarkBytes of [1, 200, 16384]) {
      for (const reverse of [false, true]) {
        const expectPlain = plainModel.map((key) => `v-${key}`.repeat(1 + key.length % 5))
        const expectMulti = multiModel.slice()
        if (reverse) { expectPlain.reverse(); expectMulti.reverse() }
        const gotPlain = await read(plain, { reverse, highWaterMarkBytes }, size)
        const gotMulti = await read(multi, { reverse, highWaterMarkBytes }, size)
        reads += 2
        if (JSON.stringify(gotPlain) !== JSON.stringify(expectPlain)) wrong++
        if (JSON.stringify(gotMulti) !== JSON.stringify(expectMulti)) wrong++
      }
    }
  }
  t.is(wrong, 0, `${reads} full reads (sizes 1 to 5000, 1 to 16384 bytes, both directions) match the model`)

  // Seeks in the middle of a batch, forward and back. (A nextv() bounded by
  // highWaterMarkBytes may return fewer than asked: take() reads on.)
  const iterator = plain.keys({ highWaterMarkBytes: 100 })
  const take = async (count) => {
    const keys = []
    let chunk
    while (keys.length < count && (chunk = await iterator.nextv(count - keys.length)).length > 0) keys.push(...chunk)
    return keys
  }
  const firstTen = await take(10)
  iterator.seek(plainModel[1200])
  const afterSeek = await take(50)
  iterator.seek(plainModel[5])
  const back = await take(3)
  await iterator.close()
  t.same([firstTen, afterSeek, back], [plainModel.slice(0, 10), plainModel.slice(1200, 1250), plainModel.slice(5, 8)],
    'seeks inside and across batches')

  // A transaction's writes merged into committed entries across batches.
  const tx = plain.transaction()
  const own = new Map()
  for (let i = 0; i < COUNT; i += 37) own.set(plainModel[i], 'own')
  for (let i = 0; i < 40; i++) own.set(`k${String(i * 2503).padStart(6, '0')}x`, 'new')
  for (const [key, value] of own) await tx.put(key, value)
  const merged = new Map(plainModel.map((key) => [key, `v-${key}`.repeat(1 + key.length % 5)]))
  for (const [key, value] of own) merged.set(key, value)
  const expectMerged = [...merged.keys()].sort().map((key) => [key, merged.get(key)])
  const txIterator = tx.iterator({ highWaterMarkBytes: 300 })
  const seen = []
  let chunk
  while ((chunk = await txIterator.nextv(97)).length > 0) seen.push(...chunk)
  await txIterator.close()
  t.same(seen, expectMerged, `a transaction's iterator merges ${own.size} own writes into ${COUNT} committed entries`)
  await tx.commit()
})
