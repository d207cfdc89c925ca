'use strict'

// getMany() and hasMany() of two plain keys or more make every key's
// document first, have Sophia descend to all of the keys at once
// (sp_prefetch, patches/0007), then read them (binding/environment.cc,
// Environment::ReadPrefetched). The answers must be those of reading the
// keys one at a time, whatever the keys' types, through snapshots, with a
// bad key anywhere, and when getting a key from the array runs JavaScript.

const test = require('tape')
const { NativeEnvironmentClass, readPackedValues } = require('../dist/native')
const { tempLocation, openTempDb: openDb, seededRandom: random } = require('./common')

const keyOf = (i) => `key${String(i).padStart(6, '0')}`

// 4000 random puts and deletions of keys among 6000, in db and in model.
async function fill (db, model, next) {
  const operations = []
  for (let n = 0; n < 4000; n++) {
    const key = keyOf(Math.floor(next() * 6000))
    if (n % 9 === 8) {
      operations.push({ type: 'del', key })
      model.delete(key)
    } else {
      const value = `v${n}:${'x'.repeat(Math.floor(next() * 200))}`
      operations.push({ type: 'put', key, value })
      model.set(key, value)
    }
  }
  await db.batch(operations)
}

test('getMany and hasMany answer as the data and get() do', async function (t) {
  const next = random(7)
  const db = await openDb(t)
  const model = new Map()
  await fill(db, model, next)
  let wrong = 0
  let found = 0
  for (let call = 0; call < 60; call++) {
    // 2 to 300 keys, some repeated, some never written.
    const keys = Array.from({ length: 2 + Math.floor(next() * 299) }, () => keyOf(Math.floor(next() * 6600)))
    const values = await db.getMany(keys)
    const has = await db.hasMany(keys)
    for (let i = 0; i < keys.length; i++) {
      if (values[i] !== model.get(keys[i]) || has[i] !== model.has(keys[i])) wrong++
      if (values[i] !== undefined) found++
    }
  }
  t.is(wrong, 0, `60 calls: every answer is the model's (${found} values found)`)
  const keys = [...model.keys()].slice(0, 50)
  const one = await Promise.all(keys.map((key) => db.get(key)))
  t.same(await db.getMany(keys), one, 'getMany gives what get() gives key by key')
})

test('getMany of keys of every type and size', async function (t) {
  const db = await openDb(t, { keyEncoding: 'view', valueEncoding: 'utf8' })
  const keys = [
    new Uint8Array(0),
    new Uint8Array([0]),
    Buffer.from('é€😀'),
    Buffer.alloc(1024, 'k'),
    Buffer.from('short'),
    new Uint8Array([255, 255, 255]),
    Buffer.from('a')
  ]
  await db.batch(keys.map((key, i) => ({ type: 'put', key, value: `value ${i}` })))
  const missing = Buffer.from('missing')
  t.same(await db.getMany([...keys, missing, keys[2]]), [...keys.map((_, i) => `value ${i}`), undefined, 'value 2'],
    'Buffers and Uint8Arrays of 0 to 1024 bytes, a missing key and a repeated one')
})

test('getMany of many string keys: each keeps its own bytes', async function (t) {
  const db = await openDb(t)
  // Strings are copied out of JS one by one: a key's bytes must still be its
  // own when the next keys have been copied.
  const keys = Array.from({ length: 400 }, (_, i) => `${'é'.repeat(i % 37)}${i}${'\ud800'.repeat(i % 3)}`)
  await db.batch(keys.map((key, i) => ({ type: 'put', key, value: String(i) })))
  const values = await db.getMany(keys)
  t.is(values.filter((value, i) => value === String(i)).length, 400, '400 strings of 1 to 80 units, multibyte and lone surrogates')
  const sub = db.sublevel('s', { keyEncoding: 'utf8' })
  await sub.put('a', '1')
  t.same(await sub.getMany(['a', 'b', 'a']), ['1', undefined, '1'], 'through a sublevel')
})

test('getMany through a snapshot sees the data as it was', async function (t) {
  const next = random(11)
  const db = await openDb(t)
  const model = new Map()
  await fill(db, model, next)
  const before = new Map(model)
  const snapshot = db.snapshot()
  t.teardown(() => snapshot.close())
  await fill(db, model, next)
  const keys = Array.from({ length: 500 }, (_, i) => keyOf(i * 13 % 6600))
  const then = await db.getMany(keys, { snapshot })
  const now = await db.getMany(keys)
  t.is(then.filter((value, i) => value !== before.get(keys[i])).length, 0, 'with the snapshot: the data before the writes')
  t.is(now.filter((value, i) => value !== model.get(keys[i])).length, 0, 'without: the data after them')
  t.ok(then.some((value, i) => value !== now[i]), 'and the writes changed some of the answers')
  t.same(await db.hasMany(keys.slice(0, 20), { snapshot }), keys.slice(0, 20).map((key) => before.has(key)),
    'hasMany with the snapshot')
})

test('a bad key anywhere in getMany: the error of get(), and nothing else changes', async function (t) {
  const db = await openDb(t, { keyEncoding: 'buffer' })
  await db.put(Buffer.from('a'), 'A')
  const tooLarge = Buffer.alloc(1025)
  const getError = await db.get(tooLarge).catch((err) => err)
  for (const at of [0, 1, 50, 99]) {
    const keys = Array.from({ length: 100 }, () => Buffer.from('a'))
    keys[at] = tooLarge
    const err = await db.getMany(keys).catch((err) => err)
    t.is(err.code, getError.code, `a key of 1025 bytes at ${at}: ${err.code}`)
  }
  t.same(await db.getMany([Buffer.from('a'), Buffer.from('a')]), ['A', 'A'], 'the database reads on')

  const env = new NativeEnvironmentClass()
  const [main] = await env.open(tempLocation(), true, false, 1, ['main'], [])
  t.teardown(() => env.close())
  for (const [name, bad] of [['a number', 12], ['an object', {}], ['undefined', undefined]]) {
    t.throws(() => env.getMany(main, [Buffer.from('a'), bad, Buffer.from('b')], undefined), TypeError, `${name} among the keys`)
  }
})

test('getting a key from the array runs JavaScript that reads, or rewrites a key', async function (t) {
  const env = new NativeEnvironmentClass()
  const [db] = await env.open(tempLocation(), true, false, 1, ['main'], [])
  t.teardown(() => env.close())
  const stored = Array.from({ length: 200 }, (_, i) => keyOf(i))
  for (const key of stored) env.put(db, key, `value of ${key}`)
  const inner = []
  const keys = stored.slice(0, 100)
  // An array getter: the binding's read of key 50 calls getMany again.
  Object.defineProperty(keys, 50, {
    get () {
      inner.push(readPackedValues(env.getMany(db, stored.slice(100, 150), undefined), 50, false))
      return keyOf(50)
    }
  })
  const outer = readPackedValues(env.getMany(db, keys, undefined), 100, false)
  t.is(inner.length, 1, 'the inner getMany ran during the outer one')
  t.same(inner[0], stored.slice(100, 150).map((key) => `value of ${key}`), 'the inner one answered its keys')
  t.same(outer, stored.slice(0, 100).map((key) => `value of ${key}`), 'the outer one answered its own')

  // A getter that rewrites a key got before it: the keys are read as they
  // are once every one of them has been got.
  const buffers = stored.slice(0, 100).map((key) => Buffer.from(key))
  Object.defineProperty(buffers, 60, {
    get () {
      buffers[0].write(keyOf(199))
      return Buffer.from(keyOf(60))
    }
  })
  const rewritten = readPackedValues(env.getMany(db, buffers, undefined), 100, false)
  t.is(rewritten[0], `value of ${keyOf(199)}`, 'a key rewritten by a later getter is read as rewritten')
  t.is(rewritten[60], `value of ${keyOf(60)}`, 'and the getter\'s own key as it returned it')
})
