'use strict'

// Batches cross into the binding as a Buffer of frames holding the small keys
// and values, and an array of the other fields (packed-batch.ts): large ones,
// and those past the frames' size limit. Both kinds in one batch, at and
// around every limit, must store exactly what was given.

const test = require('tape')
const { NativeEnvironmentClass } = require('../dist/native')
const { BatchPacker } = require('../dist/packed-batch')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const INLINE_FIELD_LIMIT = 64 * 1024
const FRAMES_LIMIT = 16 * 1024 * 1024

// Distinct bytes for every (seed, size), so a field read from the wrong
// place or at the wrong offset cannot match by accident.
function bytes (seed, size) {
  const out = Buffer.allocUnsafe(size)
  let x = (seed * 2654435761) >>> 0
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

function openDb (t, options) {
  const db = new SophiaLevel(tempLocation(), { keyEncoding: 'buffer', valueEncoding: 'buffer', ...options })
  t.teardown(() => db.close())
  return db
}

// Checks that the database holds exactly `model` (keys as hex).
async function assertHolds (t, db, model, label) {
  const entries = await db.iterator().all()
  const expected = [...model.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')))
  t.is(entries.length, expected.length, `${label}: ${expected.length} entries`)
  const wrong = entries.filter(([key, value], i) => expected[i] === undefined ||
    key.toString('hex') !== expected[i][0] || !value.equals(expected[i][1]))
  t.is(wrong.length, 0, `${label}: every key and value exact`)
}

test('fields on both sides of the frame limit, puts and deletes, in one batch', async function (t) {
  const db = openDb(t)
  await db.open()
  const model = new Map()
  const sizes = [0, 1, 100, INLINE_FIELD_LIMIT - 1, INLINE_FIELD_LIMIT, INLINE_FIELD_LIMIT + 1, 300000]
  const operations = []
  let seed = 0
  for (const keySize of [0, 1, 16, 1024]) {
    for (const valueSize of sizes) {
      const key = bytes(++seed, keySize)
      // An empty key is one key: later sizes overwrite it, as in the model.
      const value = valueSize % 2 === 0 ? bytes(++seed, valueSize) : new Uint8Array(bytes(++seed, valueSize))
      operations.push({ type: 'put', key, value })
      model.set(key.toString('hex'), Buffer.from(value))
    }
  }
  // Deleting some of those and one key never written, then writing one back.
  for (const op of operations.filter((_, i) => i % 5 === 0)) {
    operations.push({ type: 'del', key: op.key })
    model.delete(op.key.toString('hex'))
  }
  operations.push({ type: 'del', key: bytes(9999, 10) })
  const back = operations[5]
  operations.push({ type: 'put', key: back.key, value: Buffer.from('back') })
  model.set(back.key.toString('hex'), Buffer.from('back'))

  await db.batch(operations)
  await assertHolds(t, db, model, 'array batch')

  const chained = db.batch()
  const model2 = new Map(model)
  for (let i = 0; i < 50; i++) {
    const key = bytes(20000 + i, 20)
    const value = bytes(30000 + i, (i * 7919) % (2 * INLINE_FIELD_LIMIT))
    chained.put(key, value)
    model2.set(key.toString('hex'), value)
  }
  chained.del(operations[1].key)
  model2.delete(operations[1].key.toString('hex'))
  await chained.write()
  await assertHolds(t, db, model2, 'chained batch')
})

test('strings: UTF-8 bytes the same in a frame, from the array and through put()', async function (t) {
  const db = openDb(t, { keyEncoding: 'utf8', valueEncoding: 'buffer' })
  await db.open()
  // A string is copied into its frame when 3 bytes per UTF-16 unit fit the
  // limit: 21845 units do, 21846 do not.
  const fitting = Math.floor(INLINE_FIELD_LIMIT / 3)
  const texts = {
    ascii: 'plain',
    multibyte: 'é€😀 mixed',
    'lone surrogates': 'a\ud800b\udc00c',
    'at the limit': 'x'.repeat(fitting - 1) + '€',
    'past the limit': 'x'.repeat(fitting) + '€',
    'long, one byte each': 'y'.repeat(INLINE_FIELD_LIMIT + 5)
  }
  const operations = Object.entries(texts).map(([name, text]) => ({ type: 'put', key: `batch ${name}`, value: Buffer.from(text) }))
  await db.batch(operations)
  for (const [name, text] of Object.entries(texts)) await db.put(`put ${name}`, Buffer.from(text))
  const strings = openDb(t, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await strings.open()
  // Keys of up to 1024 bytes; each starts with its name, as some texts share a beginning.
  const keyOf = (name, text) => `${name}: ${text.slice(0, 300)}`
  await strings.batch(Object.entries(texts).map(([name, text]) => ({ type: 'put', key: keyOf(name, text), value: text })))
  for (const [name, text] of Object.entries(texts)) {
    t.ok((await db.get(`batch ${name}`)).equals(Buffer.from(text, 'utf8')), `${name}: batch stores Buffer.from(text)`)
    t.ok((await db.get(`batch ${name}`)).equals(await db.get(`put ${name}`)), `${name}: same as put()`)
    t.ok(await strings.get(keyOf(name, text)) === Buffer.from(text).toString(), `${name}: a string key and value round-trip`)
  }
})

test('a batch past the frames limit: the rest are read from the array', async function (t) {
  const db = openDb(t)
  await db.open()
  const model = new Map()
  const operations = []
  // 60 KiB values are each copied until the frames reach 16 MiB, after 273.
  for (let i = 0; i < 300; i++) {
    const key = bytes(i, 16)
    const value = bytes(1000 + i, 60 * 1024)
    operations.push({ type: 'put', key, value })
    model.set(key.toString('hex'), value)
  }
  const packer = new BatchPacker()
  for (const { key, value } of operations) packer.put(key, value)
  const frames = packer.frames()
  t.ok(frames.length <= FRAMES_LIMIT + 9 * 300, `frames stay within the limit (${frames.length} bytes)`)
  t.ok(frames.length > FRAMES_LIMIT - 64 * 1024, 'values were copied up to the limit')
  t.is(packer.fields().length, 300 - Math.floor(FRAMES_LIMIT / (60 * 1024 + 16)), 'the rest were left in the array')
  await db.batch(operations)
  await assertHolds(t, db, model, '300 values of 60 KiB')
})

test('the frames Buffer is reused: a later batch does not disturb an earlier one', async function (t) {
  const db = openDb(t)
  await db.open()
  const model = new Map()
  // A first batch grows the shared buffer, later smaller ones reuse it.
  for (const [count, size] of [[5000, 150], [10, 20], [1, 5000], [2000, 3]]) {
    const operations = []
    for (let i = 0; i < count; i++) {
      const key = bytes(count * 100000 + i, 12)
      const value = bytes(size * 100000 + i, size)
      operations.push({ type: 'put', key, value })
      model.set(key.toString('hex'), value)
    }
    await db.batch(operations)
  }
  await assertHolds(t, db, model, 'four batches')
})

test('the native batch refuses frames that do not match their fields', async function (t) {
  const env = new NativeEnvironmentClass()
  const [db] = await env.open(tempLocation(), true, false, 1, ['main'], [])
  const packer = new BatchPacker()
  packer.put(Buffer.from('a'), Buffer.from('1'))
  packer.del(Buffer.from('b'))
  packer.put(Buffer.from('c'), 12)
  const frames = Buffer.from(packer.frames())
  const fields = packer.fields()
  t.same(fields, [12], 'the value of another type is left out of the frames')
  const copy = () => Buffer.from(frames)
  const cases = {
    'no fields array': () => env.batch(db, frames),
    'the operations in place of the frames': () => env.batch(db, [0, 'a', '1'], fields),
    'a field missing': () => env.batch(db, frames, []),
    'a field too many': () => env.batch(db, frames, [12, 13]),
    'one byte short': () => env.batch(db, copy().subarray(0, frames.length - 1), fields),
    'a byte too many': () => env.batch(db, Buffer.concat([copy(), Buffer.from([0])]), fields),
    'a key size past the end': () => { const f = copy(); f.writeUInt32LE(0xffffffff, 1); env.batch(db, f, fields) },
    'a value size past the end': () => { const f = copy(); f.writeUInt32LE(1 << 30, 5); env.batch(db, f, fields) },
    'the field of another type': () => env.batch(db, frames, fields)
  }
  for (const [name, call] of Object.entries(cases)) t.throws(call, TypeError, name)
  const it = env.iterator(db, 2 | 4, undefined, undefined)
  t.is(it.nextv(10, Infinity), undefined, 'nothing was written')
  it.close()
  env.batch(db, frames, [Buffer.from('3')])
  const written = env.iterator(db, 2 | 4, undefined, undefined)
  t.is(written.nextv(10, Infinity).length, 2 * (4 + 1 + 4 + 1), 'the matching fields write the two puts')
  written.close()
  await env.close()
})

test('an encoding that writes a batch while another is being packed', async function (t) {
  let db = null
  let inner = null
  // Runs inside the outer batch's packing, between two of its operations.
  const writesABatch = {
    name: 'writes-a-batch',
    format: 'utf8',
    encode (value) {
      if (value === 'trigger' && inner === null) {
        inner = db.batch(Array.from({ length: 100 }, (_, i) => ({ type: 'put', key: `inner${String(i).padStart(3, '0')}`, value: `i${i}` })))
      }
      return value
    },
    decode: (value) => value
  }
  db = openDb(t, { keyEncoding: 'utf8', valueEncoding: writesABatch })
  await db.open()
  const outer = Array.from({ length: 100 }, (_, i) => ({ type: 'put', key: `outer${String(i).padStart(3, '0')}`, value: i === 50 ? 'trigger' : `o${i}` }))
  await db.batch(outer)
  t.ok(inner !== null, 'the inner batch was written during the outer one')
  await inner
  const stored = await db.iterator().all()
  t.is(stored.length, 200, 'both batches whole')
  t.ok(stored.every(([key, value]) => key.startsWith('inner')
    ? value === `i${Number(key.slice(5))}`
    : value === (key === 'outer050' ? 'trigger' : `o${Number(key.slice(5))}`)), 'every value where it belongs')

  // An outer batch that fails after the inner one was written: only the
  // inner one may be stored.
  await db.clear()
  inner = null
  const failing = [...outer, { type: 'put', key: 'k'.repeat(1025), value: 'too long a key' }]
  const err = await db.batch(failing).then(() => null, (err) => err)
  t.is(err?.code, 'SOPHIA_KEY_TOO_LARGE', 'the outer batch fails')
  await inner
  t.same((await db.keys().all()).filter((key) => !key.startsWith('inner')), [], 'none of its writes stored')
  t.is((await db.keys().all()).length, 100, 'the inner batch stored')
})

test('an operation whose key getter throws: the batch rejects, nothing is written', async function (t) {
  const db = openDb(t)
  await db.open()
  const operations = [
    { type: 'put', key: Buffer.from('a'), value: Buffer.from('1') },
    {
      type: 'put',
      get key () { throw new Error('getter failed') },
      value: Buffer.from('2')
    }
  ]
  let returned
  t.doesNotThrow(() => { returned = db.batch(operations) }, 'batch() does not throw')
  const err = await returned.then(() => null, (err) => err)
  t.is(err?.message, 'getter failed', 'its promise rejects with the getter\'s error')
  t.same(await db.keys().all(), [], 'nothing written')
  await db.put(Buffer.from('b'), Buffer.from('3'))
  t.same((await db.get(Buffer.from('b'))).toString(), '3', 'the database still works')
})
