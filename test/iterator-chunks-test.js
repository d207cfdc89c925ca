'use strict'

// How the native iterator hands out entries: one packed Buffer per call,
// bounded by count and by bytes (Infinity meaning no byte bound), and how the
// JS iterators use it.

const test = require('tape')
const { NativeEnvironmentClass } = require('../dist/native')
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
  const operations = []
  for (let i = 0; i < 3000; i++) operations.push(0, String(i).padStart(5, '0'), 'value')
  env.batch(db, operations)

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
