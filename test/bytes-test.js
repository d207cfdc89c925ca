'use strict'

// Empty keys and values, binary data with zero bytes, and key order equal to
// Buffer.compare() (bytewise, a shorter prefix first).

const test = require('tape')
const crypto = require('crypto')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

function openDb (t, options) {
  const db = new SophiaLevel(tempLocation(), { keyEncoding: 'buffer', valueEncoding: 'buffer', ...options })
  t.teardown(() => db.close())
  return db
}

test('empty keys and empty values are stored and read back', async function (t) {
  const db = openDb(t, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await db.put('', '')
  await db.put('a', '')
  t.is(await db.get(''), '', 'empty key, empty value')
  t.is(await db.get('a'), '', 'empty value')
  t.is(db.getSync(''), '', 'getSync')
  t.same(await db.getMany(['', 'a', 'b']), ['', '', undefined])
  t.is(await db.has(''), true)
  t.same(await db.iterator().all(), [['', ''], ['a', '']], 'the empty key sorts first')
  t.same(await db.iterator({ gt: '' }).all(), [['a', '']], 'an empty gt bound excludes only the empty key')
  t.same(await db.iterator({ lte: '' }).all(), [['', '']], 'an empty lte bound includes only the empty key')
  t.same(await db.iterator({ reverse: true }).all(), [['a', ''], ['', '']])
  await db.del('')
  t.is(await db.get(''), undefined, 'deleted')
  await db.close()
  await db.open()
  t.same(await db.iterator().all(), [['a', '']], 'survives reopening')
})

test('binary keys and values with zero bytes keep every byte', async function (t) {
  const db = openDb(t)
  const keys = [Buffer.from('a'), Buffer.from('a\0'), Buffer.from('a\0b'), Buffer.from('a\0c'), Buffer.from([0]), Buffer.from([0, 0])]
  const valueOf = (key) => Buffer.concat([Buffer.from([0, 255, 0]), key, Buffer.alloc(3)])
  await db.batch(keys.map((key) => ({ type: 'put', key, value: valueOf(key) })))
  for (const key of keys) t.same(await db.get(key), valueOf(key), `value of ${key.toString('hex')}`)
  const sorted = keys.slice().sort(Buffer.compare)
  t.same((await db.keys().all()).map((k) => k.toString('hex')), sorted.map((k) => k.toString('hex')), 'distinct keys, in Buffer.compare order')
  t.same(await db.get(Buffer.from('a\0d')), undefined, 'a key with a zero byte is not confused with its prefix')
})

test('key order equals Buffer.compare for random binary keys, forward and reverse', async function (t) {
  const db = openDb(t)
  const keys = new Map()
  for (let i = 0; i < 2000; i++) {
    const length = crypto.randomInt(0, 12)
    // Few distinct bytes, so that many keys are prefixes of others.
    const key = Buffer.from(Array.from({ length }, () => [0, 1, 127, 128, 255][crypto.randomInt(5)]))
    keys.set(key.toString('hex'), key)
  }
  const all = [...keys.values()]
  await db.batch(all.map((key) => ({ type: 'put', key, value: key })))
  const expected = all.slice().sort(Buffer.compare).map((k) => k.toString('hex'))
  const forward = (await db.keys().all()).map((k) => k.toString('hex'))
  t.same(forward, expected, `forward order of ${expected.length} keys`)
  const reverse = (await db.keys({ reverse: true }).all()).map((k) => k.toString('hex'))
  t.same(reverse, expected.slice().reverse(), 'reverse order')
  const lower = all[0]
  const upper = all[1]
  const [lo, hi] = Buffer.compare(lower, upper) <= 0 ? [lower, upper] : [upper, lower]
  const inRange = expected.filter((hex) => {
    const key = Buffer.from(hex, 'hex')
    return Buffer.compare(key, lo) > 0 && Buffer.compare(key, hi) <= 0
  })
  const ranged = (await db.keys({ gt: lo, lte: hi }).all()).map((k) => k.toString('hex'))
  t.same(ranged, inRange, 'a range selects by the same order')
})

test('UTF-8 strings order by their bytes', async function (t) {
  const db = openDb(t, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  const keys = ['z', 'é', 'e', '日本', '\u0000', 'a\u0000', '💾', 'ß']
  for (const key of keys) await db.put(key, key)
  const expected = keys.map((k) => Buffer.from(k)).sort(Buffer.compare).map((b) => b.toString())
  t.same(await db.keys().all(), expected)
  for (const key of keys) t.is(await db.get(key), key, `round trip of ${JSON.stringify(key)}`)
})

// get() copies a value of up to 4 KiB through one reused buffer into a new
// Buffer, and makes larger ones in the binding: each value read must be its
// own, whatever its size and whatever is read after it.
test('values of every size around the 4 KiB boundary read back exactly, each its own Buffer', async function (t) {
  const db = openDb(t)
  await db.open()
  const sizes = [0, 1, 100, 4095, 4096, 4097, 8192, 100000]
  const values = sizes.map((size) => crypto.randomBytes(size))
  await db.batch(sizes.map((size, i) => ({ type: 'put', key: `k${size}`, value: values[i] })))
  const asyncReads = []
  const syncReads = []
  for (const size of sizes) asyncReads.push(await db.get(`k${size}`))
  for (const size of sizes) syncReads.push(db.getSync(`k${size}`))
  for (let i = 0; i < sizes.length; i++) {
    t.ok(Buffer.isBuffer(asyncReads[i]) && asyncReads[i].equals(values[i]), `get: ${sizes[i]} bytes, intact after every later read`)
    t.ok(Buffer.isBuffer(syncReads[i]) && syncReads[i].equals(values[i]), `getSync: ${sizes[i]} bytes, intact after every later read`)
  }
  asyncReads[3].fill(0)
  t.ok((await db.get('k4095')).equals(values[3]), 'changing a Buffer read changes nothing stored or read later')
  t.is(await db.get('missing'), undefined, 'a missing key is undefined')
  t.same(await db.get('k100', { valueEncoding: 'utf8' }), values[2].toString('utf8'), 'utf8 values come as strings')
  t.ok((await db.get('k100', { valueEncoding: 'view' })) instanceof Uint8Array, 'view values come as Uint8Arrays')
})
