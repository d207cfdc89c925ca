'use strict'

// The `prefix` option of iterator(), keys(), values() and clear(): on the
// database, on sublevels, in transactions and snapshots, with ranges,
// reverse, limit and seek, and compared with a plain filter over random
// binary keys.

const test = require('tape')
const { SophiaLevel, SophiaSublevel } = require('..')
const { tempLocation, outcomeOf } = require('./common')

async function openDb (t, options) {
  const db = new SophiaLevel(tempLocation(), options)
  await db.open()
  t.teardown(() => db.close())
  return db
}

const KEYS = ['user', 'user:', 'user:alice', 'user:bob', 'user:bob:2', 'user;x', 'users', 'usr', 'a', 'z']

async function fill (db) {
  await db.batch(KEYS.map((key) => ({ type: 'put', key, value: key.toUpperCase() })))
}

test('prefix on iterator(), keys() and values(), forward and reverse, with limit', async function (t) {
  const db = await openDb(t)
  await fill(db)
  const expected = ['user:', 'user:alice', 'user:bob', 'user:bob:2']
  t.same(await db.keys({ prefix: 'user:' }).all(), expected, 'keys')
  t.same(await db.keys({ prefix: 'user:', reverse: true }).all(), [...expected].reverse(), 'keys in reverse')
  t.same(await db.keys({ prefix: 'user:', limit: 2 }).all(), expected.slice(0, 2), 'limit')
  t.same(await db.keys({ prefix: 'user:', limit: 2, reverse: true }).all(), ['user:bob:2', 'user:bob'], 'limit in reverse')
  t.same(await db.iterator({ prefix: 'user:b' }).all(), [['user:bob', 'USER:BOB'], ['user:bob:2', 'USER:BOB:2']], 'entries')
  t.same(await db.values({ prefix: 'user:b' }).all(), ['USER:BOB', 'USER:BOB:2'], 'values')
  t.same(await db.keys({ prefix: 'nobody' }).all(), [], 'no key has the prefix')
  t.same(await db.keys({ prefix: '' }).all(), [...KEYS].sort(), 'the empty prefix is every key')
  const entries = []
  for await (const entry of db.iterator({ prefix: 'user:', reverse: true })) entries.push(entry[0])
  t.same(entries, [...expected].reverse(), 'for await')
})

test('prefix narrows gt, gte, lt and lte and never widens them', async function (t) {
  const db = await openDb(t)
  await fill(db)
  t.same(await db.keys({ prefix: 'user:', gt: 'user:alice' }).all(), ['user:bob', 'user:bob:2'], 'gt inside')
  t.same(await db.keys({ prefix: 'user:', gte: 'user:alice' }).all(), ['user:alice', 'user:bob', 'user:bob:2'], 'gte inside')
  t.same(await db.keys({ prefix: 'user:', lt: 'user:bob' }).all(), ['user:', 'user:alice'], 'lt inside')
  t.same(await db.keys({ prefix: 'user:', lte: 'user:bob' }).all(), ['user:', 'user:alice', 'user:bob'], 'lte inside')
  t.same(await db.keys({ prefix: 'user:', gte: 'a', lte: 'zzz' }).all(), ['user:', 'user:alice', 'user:bob', 'user:bob:2'], 'a wider range')
  t.same(await db.keys({ prefix: 'user:', gte: 'v' }).all(), [], 'a range after the prefix')
  t.same(await db.keys({ prefix: 'user:', lt: 'a' }).all(), [], 'a range before the prefix')
  t.same(await db.keys({ prefix: 'user:', lte: 'user:' }).all(), ['user:'], 'lte at the prefix itself')
})

test('seek stays within the prefix', async function (t) {
  const db = await openDb(t)
  await fill(db)
  const iterator = db.keys({ prefix: 'user:' })
  iterator.seek('user:b')
  t.is(await iterator.next(), 'user:bob', 'a target inside')
  iterator.seek('users')
  t.is(await iterator.next(), undefined, 'a target past the prefix')
  iterator.seek('a')
  t.is(await iterator.next(), undefined, 'a target before the prefix (outside the range, as with gte)')
  await iterator.close()
})

test('clear() with a prefix deletes those keys only, with limit and reverse', async function (t) {
  const db = await openDb(t)
  await fill(db)
  await db.clear({ prefix: 'user:bob' })
  t.same(await db.keys({ prefix: 'user' }).all(), ['user', 'user:', 'user:alice', 'user;x', 'users'], 'the two user:bob keys are gone')
  await db.clear({ prefix: 'user', limit: 1, reverse: true })
  t.same(await db.keys({ prefix: 'user' }).all(), ['user', 'user:', 'user:alice', 'user;x'], 'limit and reverse')
  await db.clear({ prefix: '' })
  t.same(await db.keys().all(), [], 'the empty prefix clears all')
})

test('prefix with bytes 0xff, buffer and view encodings', async function (t) {
  const db = await openDb(t, { keyEncoding: 'buffer' })
  const keys = [[0x61], [0x61, 0xff], [0x61, 0xff, 0x00], [0x61, 0xff, 0xff, 0x01], [0x62], [0xff], [0xff, 0xff], [0xff, 0xff, 0x07]].map((k) => Buffer.from(k))
  await db.batch(keys.map((key) => ({ type: 'put', key, value: 'v' })))
  const hex = (list) => list.map((k) => Buffer.from(k).toString('hex'))
  t.same(hex(await db.keys({ prefix: Buffer.from([0x61, 0xff]) }).all()), ['61ff', '61ff00', '61ffff01'], 'a prefix ending in 0xff')
  t.same(hex(await db.keys({ prefix: Buffer.from([0xff, 0xff]) }).all()), ['ffff', 'ffff07'], 'a prefix of 0xff only: no upper bound')
  t.same(hex(await db.keys({ prefix: Buffer.from([0xff, 0xff]), reverse: true }).all()), ['ffff07', 'ffff'], 'in reverse')
  t.same(hex(await db.keys({ prefix: new Uint8Array([0x61]), keyEncoding: 'view' }).all()), ['61', '61ff', '61ff00', '61ffff01'], 'view encoding')
  t.same(await db.keys({ prefix: '61ff', keyEncoding: 'hex' }).all(), ['61ff', '61ff00', '61ffff01'], 'the options\' key encoding encodes the prefix')
})

test('prefix with a JSON key encoding is a prefix of the encoded key', async function (t) {
  const db = await openDb(t, { keyEncoding: 'utf8' })
  await db.batch([{ type: 'put', key: 'ab', value: '1' }, { type: 'put', key: 'abc', value: '2' }, { type: 'put', key: 'b', value: '3' }])
  t.same(await db.keys({ prefix: 'ab' }).all(), ['ab', 'abc'])
})

test('prefix on sublevels stays inside the sublevel', async function (t) {
  const db = await openDb(t)
  const users = db.sublevel('users')
  const admins = db.sublevel('admins')
  const nested = users.sublevel('archive', { valueEncoding: 'json' })
  t.ok(users instanceof SophiaSublevel, 'sublevels are SophiaSublevels')
  t.ok(nested instanceof SophiaSublevel, 'so are nested ones')
  await users.batch([{ type: 'put', key: 'al', value: '1' }, { type: 'put', key: 'alice', value: '2' }, { type: 'put', key: 'bob', value: '3' }])
  await admins.put('alice', 'x')
  await db.put('alice', 'root')
  await nested.put('alice', { old: true })
  t.same(await users.keys({ prefix: 'al' }).all(), ['al', 'alice'], 'keys of the sublevel only')
  t.same(await users.keys({ prefix: 'al', reverse: true, limit: 1 }).all(), ['alice'], 'reverse, limit')
  t.same(await users.iterator({ prefix: 'b' }).all(), [['bob', '3']], 'entries')
  t.same(await nested.iterator({ prefix: 'a' }).all(), [['alice', { old: true }]], 'a nested sublevel, with its encodings')
  // As without a prefix, a sublevel's range includes its nested sublevels.
  t.same(await users.keys({ prefix: '' }).all(), ['!archive!alice', 'al', 'alice', 'bob'], 'the empty prefix is the whole sublevel')
  await users.clear({ prefix: 'al' })
  t.same(await users.keys().all(), ['!archive!alice', 'bob'], 'clear in the sublevel')
  t.is(await admins.get('alice'), 'x', 'another sublevel is untouched')
  t.is(await db.get('alice'), 'root', 'the root is untouched')
  t.same(await nested.get('alice'), { old: true }, 'the nested sublevel is untouched')
})

test('prefix in transactions and snapshots', async function (t) {
  const db = await openDb(t)
  await fill(db)
  const snapshot = db.snapshot()
  await db.put('user:carol', 'C')
  t.same(await db.keys({ prefix: 'user:', snapshot }).all(), ['user:', 'user:alice', 'user:bob', 'user:bob:2'], 'the snapshot does not see a later put')
  await snapshot.close()
  const tx = db.transaction()
  await tx.put('user:dave', 'D')
  await tx.del('user:alice')
  t.same(await tx.keys({ prefix: 'user:' }).all(), ['user:', 'user:bob', 'user:bob:2', 'user:carol', 'user:dave'], 'own writes in a transaction')
  t.same(await tx.keys({ prefix: 'user:', reverse: true, limit: 2 }).all(), ['user:dave', 'user:carol'], 'reverse, limit')
  await tx.rollback()
})

test('a prefix that is not a key is refused', async function (t) {
  const db = await openDb(t)
  t.is(await outcomeOf(Promise.resolve().then(() => db.iterator({ prefix: null }))), 'TypeError', 'null, iterator()')
  t.is(await outcomeOf(Promise.resolve().then(() => db.keys({ prefix: null }))), 'TypeError', 'null, keys()')
  t.is(await outcomeOf(db.clear({ prefix: null })), 'TypeError', 'null, clear()')
  t.same(await db.keys({ prefix: undefined }).all(), [], 'undefined is no prefix')
})

test('prefix agrees with a filter over random binary keys', async function (t) {
  const db = await openDb(t, { keyEncoding: 'buffer', valueEncoding: 'utf8' })
  let seed = 0x2545f491
  const random = (n) => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5
    return (seed >>> 0) % n
  }
  // Few distinct bytes so that prefixes are shared; 0x00 and 0xff included.
  const alphabet = [0x00, 0x01, 0x7f, 0xfe, 0xff]
  const randomBytes = (max) => Buffer.from(Array.from({ length: random(max + 1) }, () => alphabet[random(alphabet.length)]))
  const keys = new Map()
  while (keys.size < 600) {
    const key = randomBytes(6)
    keys.set(key.toString('hex'), key)
  }
  await db.batch([...keys.values()].map((key) => ({ type: 'put', key, value: key.toString('hex') })))
  const sorted = [...keys.values()].sort(Buffer.compare)
  let failures = 0
  for (let round = 0; round < 300; round++) {
    const prefix = randomBytes(3)
    const options = { prefix, reverse: random(2) === 1 }
    if (random(3) === 0) options.limit = random(20)
    if (random(3) === 0) options[random(2) === 0 ? 'gt' : 'gte'] = randomBytes(5)
    if (random(3) === 0) options[random(2) === 0 ? 'lt' : 'lte'] = randomBytes(5)
    let expected = sorted.filter((key) => key.subarray(0, prefix.length).equals(prefix) &&
      (options.gt === undefined || Buffer.compare(key, options.gt) > 0) &&
      (options.gte === undefined || Buffer.compare(key, options.gte) >= 0) &&
      (options.lt === undefined || Buffer.compare(key, options.lt) < 0) &&
      (options.lte === undefined || Buffer.compare(key, options.lte) <= 0))
    if (options.reverse) expected.reverse()
    if (options.limit !== undefined) expected = expected.slice(0, options.limit)
    const actual = await db.values(options).all()
    if (JSON.stringify(actual) !== JSON.stringify(expected.map((key) => key.toString('hex')))) {
      failures++
      t.fail(`round ${round}: ${JSON.stringify(options)}`)
    }
  }
  t.is(failures, 0, '300 random prefix reads agree with the filter')
})
