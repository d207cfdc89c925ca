'use strict'

// Multi-part keys (the keySchema option): Sophia's typed key fields, their
// order, ranges with partial bounds, prefixes, every read and write path,
// the checks on keys and options, and a comparison with a model over random
// keys of several schemas, before and after the data reaches node files.

const test = require('tape')
const { SophiaLevel } = require('..')
const { tempLocation, outcomeOf } = require('./common')

async function openDb (t, location, options) {
  const db = new SophiaLevel(location, options)
  await db.open()
  t.teardown(() => db.close())
  return db
}

const USER_SEQ = [{ name: 'user', type: 'string' }, { name: 'seq', type: 'u32' }]

test('keys are arrays of parts, sorted part by part, a shorter key first', async function (t) {
  const db = await openDb(t, tempLocation(), { keySchema: USER_SEQ, valueEncoding: 'json' })
  await db.put(['alice', 2], { n: 2 })
  await db.batch([
    { type: 'put', key: ['alice', 10], value: 10 },
    { type: 'put', key: ['bob', 1], value: 'b' },
    { type: 'put', key: ['al', 4294967295], value: 'max' },
    { type: 'put', key: ['alice\u0000', 0], value: 'zero byte' },
    { type: 'put', key: ['', 7], value: 'empty' }
  ])
  const chained = db.batch()
  chained.put(['carol', 3], 'c')
  chained.del(['bob', 1])
  await chained.write()
  t.same(await db.get(['alice', 2]), { n: 2 }, 'get, with the value encoding')
  t.same(await db.keys().all(), [['', 7], ['al', 4294967295], ['alice', 2], ['alice', 10], ['alice\u0000', 0], ['carol', 3]], 'order')
  t.same(await db.getMany([['alice', 10], ['bob', 1], ['carol', 3]]), [10, undefined, 'c'], 'getMany')
  t.is(await db.has(['carol', 3]), true, 'has')
  t.same(await db.hasMany([['carol', 3], ['carol', 4]]), [true, false], 'hasMany')
  t.is(db.getSync(['alice', 2]).n, 2, 'getSync')
  await db.del(['alice', 2])
  t.is(await db.get(['alice', 2]), undefined, 'del')
  t.same(await db.keys({ gte: ['alice'], lt: ['b'] }).all(), [['alice', 10], ['alice\u0000', 0]], 'partial bounds')
  t.same(await db.keys({ gt: ['alice'], lte: ['alice', 10] }).all(), [['alice', 10]], 'gt a shorter key includes its extensions')
  t.same(await db.keys({ lt: ['alice'], reverse: true }).all(), [['al', 4294967295], ['', 7]], 'lt, reverse')
  t.same(await db.keys({ lte: ['alice'], reverse: true, limit: 1 }).all(), [['al', 4294967295]], 'lte a shorter key excludes its extensions')
  t.same(await db.keys({ prefix: ['alice'] }).all(), [['alice', 10]], 'a prefix of whole parts')
  t.same(await db.keys({ prefix: [] }).all(), await db.keys().all(), 'the empty prefix')
  const iterator = db.keys()
  iterator.seek(['alice'])
  t.same(await iterator.next(), ['alice', 10], 'seek to a shorter key')
  iterator.seek(['alice', 11])
  t.same(await iterator.next(), ['alice\u0000', 0], 'seek between keys')
  await iterator.close()
  await db.clear({ prefix: ['alice'] })
  t.same(await db.keys().all(), [['', 7], ['al', 4294967295], ['alice\u0000', 0], ['carol', 3]], 'clear with a prefix')
})

test('every part type: values in and out, and descending _rev types', async function (t) {
  const db = await openDb(t, tempLocation(), {
    keySchema: [{ name: 'a', type: 'u8' }, { name: 'b', type: 'u16_rev' }, { name: 'c', type: 'u64' }, { name: 'd', type: 'string', binary: true }, { name: 'e', type: 'u32_rev' }]
  })
  const max64 = 2n ** 64n - 1n
  const keys = [
    [0, 0, 0n, Buffer.from([0, 0xff, 0]), 0],
    [0, 65535, max64, Buffer.alloc(0), 4294967295],
    [255, 1, 5, Buffer.from('x'), 1],
    [255, 2, 2n ** 53n + 1n, Buffer.from([0xff]), 2]
  ]
  for (const key of keys) await db.put(key, 'v')
  const read = await db.keys().all()
  t.same(read.map((key) => key.map((part) => Buffer.isBuffer(part) ? part.toString('hex') : String(part))), [
    ['0', '65535', String(max64), '', '4294967295'],
    ['0', '0', '0', '00ff00', '0'],
    ['255', '2', String(2n ** 53n + 1n), 'ff', '2'],
    ['255', '1', '5', '78', '1']
  ], 'u16_rev sorts descending; u64 comes back as bigint, binary strings as Buffers')
  t.is(typeof read[0][0], 'number', 'u8 reads back as a number')
  t.is(typeof read[0][2], 'bigint', 'u64 reads back as a bigint')
  t.is(await db.get([255, 1, 5n, Buffer.from('x'), 1]), 'v', 'a u64 part given as a number or a bigint is the same key')
  t.same(await db.keys({ prefix: [255] }).all().then((list) => list.length), 2, 'a prefix of a number part')
  t.same(await db.keys({ gt: [0, 65535], lt: [255, 1] }).all().then((list) => list.length), 3, 'bounds within _rev parts (a key extending gt is after it)')
  t.same(await db.keys({ gt: [0, 0, 0n, Buffer.from([0, 0xff, 0]), 0], lt: [255, 1] }).all().then((list) => list.length), 1, 'bounds that are whole keys')
})

test('bad keys and bad schemas are errors that name the problem', async function (t) {
  const db = await openDb(t, tempLocation(), { keySchema: USER_SEQ })
  const cases = [
    ['alice', 'TypeError', 'not an array'],
    [['alice'], 'LEVEL_INVALID_KEY', 'too few parts'],
    [['alice', 1, 2], 'RangeError', 'too many parts'],
    [[5, 1], 'TypeError', 'a number for a string part'],
    [['alice', '1'], 'TypeError', 'a string for a number part'],
    [['alice', -1], 'RangeError', 'a negative number'],
    [['alice', 1.5], 'RangeError', 'a fraction'],
    [['alice', 2 ** 32], 'RangeError', 'too large for u32'],
    [['alice', NaN], 'RangeError', 'NaN'],
    [['alice', 2n ** 32n], 'RangeError', 'a bigint too large']
  ]
  for (const [key, expected, what] of cases) {
    try {
      await db.put(key, 'v')
      t.fail(what)
    } catch (err) {
      t.is(err.code, 'LEVEL_INVALID_KEY', `${what}: LEVEL_INVALID_KEY`)
      if (expected !== 'LEVEL_INVALID_KEY') t.is(err.name, expected, `${what}: ${expected}`)
    }
  }
  t.is(await outcomeOf(db.get(['alice'])), 'LEVEL_INVALID_KEY', 'a point read of a partial key')
  t.is(await outcomeOf(db.put(['x'.repeat(1025), 1], 'v')), 'SOPHIA_KEY_TOO_LARGE', 'a string part over 1024 bytes')
  t.is(await outcomeOf(db.put(['x'.repeat(1024), 1], 'v')), 'ok', 'a string part of 1024 bytes')
  t.is(await outcomeOf(db.put(Buffer.from('not a key'), 'v', { keyEncoding: 'buffer' })), 'LEVEL_INVALID_KEY', 'raw bytes that are no key')
  t.is(await outcomeOf(db.put(Buffer.from([0x61, 0, 0, 0, 0, 0, 9]), 'raw', { keyEncoding: 'buffer' })), 'ok', 'raw bytes that are a key')
  t.is(await db.get(['a', 9]), 'raw', 'read back through the schema')
  t.same(await db.keys().all(), [['a', 9], ['x'.repeat(1024), 1]], 'no bad key was written')
  t.is(await outcomeOf(Promise.resolve().then(() => db.sublevel('s'))), 'LEVEL_NOT_SUPPORTED', 'no sublevels')

  const options = (keySchema, extra) => () => new SophiaLevel(tempLocation(), { keySchema, ...extra })
  const parts = (n) => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, type: 'u8' }))
  const refusals = [
    [options('user'), 'TypeError', 'not an array'],
    [options([]), 'RangeError', 'no parts'],
    [options(parts(6)), 'RangeError', '6 parts: 7 fields with the value'],
    [options(parts(5), { expire: 10 }), 'RangeError', '5 parts with expire: 7 fields'],
    [options([{ name: 'a', type: 'u128' }]), 'RangeError', 'an unknown type'],
    [options([{ name: 'a', type: 1 }]), 'TypeError', 'a type that is not a string'],
    [options([{ name: 'value', type: 'u8' }]), 'RangeError', 'a reserved name'],
    [options([{ name: 'order', type: 'u8' }]), 'RangeError', "a name Sophia's documents reserve"],
    [options([{ name: 'a.b', type: 'u8' }]), 'RangeError', 'a dot in a name'],
    [options([{ name: 'a', type: 'u8' }, { name: 'a', type: 'u8' }]), 'RangeError', 'two parts with one name'],
    [options([{ name: 'a', type: 'u8', binary: true }]), 'RangeError', 'binary on a number part'],
    [options(USER_SEQ, { keyEncoding: 'utf8' }), 'TypeError', 'with keyEncoding']
  ]
  for (const [make, expected, what] of refusals) {
    try {
      make()
      t.fail(what)
    } catch (err) {
      t.is(err.name, expected, `${what}: ${expected}`)
      t.ok(/keySchema|keyEncoding/.test(err.message), `${what}: the message names the option`)
    }
  }
  t.is(await outcomeOf(openDb(t, tempLocation(), { keySchema: parts(5) })), 'ok', '5 parts and the value: 6 fields')
  t.is(await outcomeOf(openDb(t, tempLocation(), { keySchema: parts(4), expire: 10 })), 'ok', '4 parts, the value and the timestamp')
})

test('the schema is kept with the database and checked when it opens', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location, { keySchema: USER_SEQ })
  await db.open()
  await db.put(['alice', 1], 'one')
  await db.close()
  const attempts = [
    [undefined, 'without a keySchema'],
    [[{ name: 'user', type: 'string' }, { name: 'seq', type: 'u64' }], 'another type'],
    [[{ name: 'seq', type: 'u32' }, { name: 'user', type: 'string' }], 'another order'],
    [[{ name: 'user', type: 'string' }], 'fewer parts']
  ]
  for (const [keySchema, what] of attempts) {
    const other = new SophiaLevel(location, { keySchema })
    try {
      await other.open()
      t.fail(what)
      await other.close()
    } catch (err) {
      t.is(err.code, 'LEVEL_DATABASE_NOT_OPEN', what)
      t.is(err.cause && err.cause.code, 'SOPHIA_OPTION_MISMATCH', `${what}: SOPHIA_OPTION_MISMATCH`)
    }
  }
  const plain = new SophiaLevel(tempLocation())
  await plain.open()
  await plain.close()
  const reopened = new SophiaLevel(plain.location, { keySchema: USER_SEQ })
  t.is(await outcomeOf(reopened.open()), 'LEVEL_DATABASE_NOT_OPEN', 'a plain database opened with a keySchema')
  const again = await openDb(t, location, { keySchema: USER_SEQ })
  t.is(await again.get(['alice', 1]), 'one', 'the same schema opens, data intact')
})

test('transactions and snapshots with multi-part keys', async function (t) {
  const db = await openDb(t, tempLocation(), { keySchema: USER_SEQ })
  await db.batch([{ type: 'put', key: ['a', 1], value: '1' }, { type: 'put', key: ['a', 2], value: '2' }, { type: 'put', key: ['b', 1], value: '3' }])
  const snapshot = db.snapshot()
  const tx = db.transaction()
  await tx.put(['a', 3], 'own')
  await tx.del(['a', 1])
  await db.put(['b', 0], 'later')
  t.same(await tx.keys({ prefix: ['a'] }).all(), [['a', 2], ['a', 3]], 'own writes merged')
  t.same(await tx.keys({ prefix: ['a'], reverse: true }).all(), [['a', 3], ['a', 2]], 'in reverse')
  t.is(await tx.get(['a', 3]), 'own', 'own put')
  await tx.commit()
  t.same(await db.keys({ prefix: ['a'], snapshot }).all(), [['a', 1], ['a', 2]], 'the snapshot')
  await snapshot.close()
  t.same(await db.keys({ prefix: ['a'] }).all(), [['a', 2], ['a', 3]], 'after commit')
  await db.transaction(async (tx) => {
    const value = await tx.get(['a', 2])
    await tx.put(['c', 1], value + '!')
  })
  t.is(await db.get(['c', 1]), '2!', 'a managed transaction')
})

// A model of Sophia's order of keys with these parts: part by part, strings
// bytewise, numbers by value (descending for _rev), a shorter key first.
function compareKeys (schema, a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const type = schema[i].type
    let order
    if (type === 'string') {
      order = Buffer.compare(Buffer.from(a[i]), Buffer.from(b[i]))
    } else {
      const x = BigInt(a[i])
      const y = BigInt(b[i])
      order = x < y ? -1 : x > y ? 1 : 0
      if (type.endsWith('_rev')) order = -order
    }
    if (order !== 0) return order
  }
  return a.length - b.length
}

function randomSource (seed) {
  let state = seed
  return (n) => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5
    return (state >>> 0) % n
  }
}

const SCHEMAS = [
  [{ name: 'user', type: 'string' }, { name: 'seq', type: 'u32' }],
  [{ name: 'rank', type: 'u16_rev' }, { name: 'tag', type: 'string', binary: true }, { name: 'id', type: 'u64' }],
  [{ name: 'a', type: 'u8' }, { name: 'b', type: 'string', binary: true }, { name: 'c', type: 'u8_rev' }, { name: 'd', type: 'string', binary: true }, { name: 'e', type: 'u32_rev' }]
]

function randomPart (random, part) {
  const type = part.type
  // Few distinct characters or bytes, so that parts share prefixes; 0x00 and
  // 0xff included.
  if (type === 'string' && part.binary) {
    const alphabet = [0x00, 0x01, 0x61, 0xfe, 0xff]
    return Buffer.from(Array.from({ length: random(4) }, () => alphabet[random(alphabet.length)]))
  }
  if (type === 'string') {
    const alphabet = ['\u0000', '\u0001', 'a', '\u00e9', '\uffff']
    return Array.from({ length: random(4) }, () => alphabet[random(alphabet.length)]).join('')
  }
  const choices = { u8: [0, 1, 127, 255], u8_rev: [0, 1, 255], u16_rev: [0, 1, 256, 65535], u32: [0, 1, 65536, 4294967295], u32_rev: [0, 7, 4294967295], u64: [0n, 1n, 2n ** 40n, 2n ** 64n - 1n] }[type]
  return choices[random(choices.length)]
}

const randomKey = (random, schema, length) => schema.slice(0, length).map((part) => randomPart(random, part))
const show = (key) => key.map((part) => Buffer.isBuffer(part) ? part.toString('hex') : typeof part === 'string' ? JSON.stringify(part) : String(part)).join('|')

test('ranges, prefixes, reverse and limit agree with a model of the order, over random keys', async function (t) {
  for (const [index, schema] of SCHEMAS.entries()) {
    const random = randomSource(0x9e3779b9 + index)
    const location = tempLocation()
    // cacheSize 0: Sophia flushes to node files at every step, so reads go
    // through node files as well as the in-memory index.
    let db = new SophiaLevel(location, { keySchema: schema, cacheSize: 0 })
    await db.open()
    const keys = new Map()
    while (keys.size < 400) {
      const key = randomKey(random, schema, schema.length)
      keys.set(show(key), key)
    }
    await db.batch([...keys.values()].map((key) => ({ type: 'put', key, value: show(key) })))
    const sorted = [...keys.values()].sort((a, b) => compareKeys(schema, a, b))
    let failures = 0
    const check = async (round) => {
      const options = { reverse: random(2) === 1 }
      if (random(4) === 0) options.limit = random(30)
      if (random(3) === 0) options.prefix = randomKey(random, schema, random(schema.length + 1))
      if (random(2) === 0) options[random(2) === 0 ? 'gt' : 'gte'] = randomKey(random, schema, random(schema.length + 1))
      if (random(2) === 0) options[random(2) === 0 ? 'lt' : 'lte'] = randomKey(random, schema, random(schema.length + 1))
      const startsWith = (key, prefix) => compareKeys(schema, key.slice(0, prefix.length), prefix) === 0
      let expected = sorted.filter((key) =>
        (options.prefix === undefined || startsWith(key, options.prefix)) &&
        (options.gt === undefined || compareKeys(schema, key, options.gt) > 0) &&
        (options.gte === undefined || compareKeys(schema, key, options.gte) >= 0) &&
        (options.lt === undefined || compareKeys(schema, key, options.lt) < 0) &&
        (options.lte === undefined || compareKeys(schema, key, options.lte) <= 0))
      if (options.reverse) expected.reverse()
      if (options.limit !== undefined) expected = expected.slice(0, options.limit)
      const actual = await db.values(options).all()
      if (JSON.stringify(actual) !== JSON.stringify(expected.map(show))) {
        failures++
        if (failures <= 3) t.fail(`schema ${index}, round ${round}: ${JSON.stringify(options, (k, v) => typeof v === 'bigint' ? String(v) : v)}`)
      }
    }
    for (let round = 0; round < 250; round++) await check(round)
    const sample = sorted.filter((_, i) => i % 7 === 0)
    t.same(await db.getMany(sample), sample.map(show), `schema ${index}: getMany`)
    await db.close()
    db = new SophiaLevel(location, { keySchema: schema })
    await db.open()
    for (let round = 250; round < 350; round++) await check(round)
    t.same(await db.keys().all().then((list) => list.map(show)), sorted.map(show), `schema ${index}: every key after reopening, in order`)
    t.is(failures, 0, `schema ${index}: 350 random reads agree with the model`)
    await db.close()
  }
})

test('a SophiaEnv with a multi-part-key database beside a plain one', async function (t) {
  const { SophiaEnv } = require('..')
  const location = tempLocation()
  const env = new SophiaEnv(location)
  const events = env.database('events', { keySchema: USER_SEQ, valueEncoding: 'json' })
  const names = env.database('names')
  await env.open()
  await env.transaction(async (tx) => {
    await tx.put(['alice', 1], { kind: 'login' }, { db: events })
    await tx.put('alice', 'Alice', { db: names })
  })
  t.same(await events.iterator().all(), [[['alice', 1], { kind: 'login' }]], 'the multi-part keys')
  t.is(await names.get('alice'), 'Alice', 'the plain keys')
  t.is(await outcomeOf(Promise.resolve().then(() => names.sublevel('x'))), 'ok', 'sublevels of the plain database')
  await env.close()
  const mismatched = new SophiaEnv(location)
  mismatched.database('events')
  mismatched.database('names')
  t.is(await outcomeOf(mismatched.open()), 'SOPHIA_OPTION_MISMATCH', 'reopened without the keySchema')
  const again = new SophiaEnv(location)
  const events2 = again.database('events', { keySchema: USER_SEQ, valueEncoding: 'json' })
  again.database('names')
  await again.open()
  t.same(await events2.keys().all(), [['alice', 1]], 'reopened with it')
  await again.close()
})
