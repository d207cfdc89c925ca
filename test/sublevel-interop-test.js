'use strict'

// Sublevels are abstract-level's: keys carry the `!name!` prefixes, nested
// ones concatenated, and each level encodes its own keys and values. The
// stored layout must be classic-level's, byte for byte, so that data and
// code move between the two.

const test = require('tape')
const { ClassicLevel } = require('classic-level')
const { MemoryLevel } = require('memory-level')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

// A custom encoding that level-transcoder wraps: points as "x,y" strings.
const point = {
  encode: ({ x, y }) => `${x},${y}`,
  decode: (text) => {
    const [x, y] = text.split(',').map(Number)
    return { x, y }
  },
  format: 'utf8'
}

const raw = { keyEncoding: 'utf8', valueEncoding: 'buffer' }

// The root in utf8, `a` with json values, `a/b` with buffer keys and points,
// and `c` with buffer values.
function levels (db) {
  const a = db.sublevel('a', { valueEncoding: 'json' })
  const b = a.sublevel('b', { keyEncoding: 'buffer', valueEncoding: point })
  const c = db.sublevel('c', { valueEncoding: 'buffer' })
  return { db, a, b, c }
}

async function populate ({ db, a, b, c }) {
  await db.put('k', 'root')
  await a.put('k', { n: 1 })
  await b.put(Buffer.from('k'), { x: 1, y: 2 })
  await c.put('k', Buffer.from([0, 1, 255]))
}

async function openDb (t) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  t.teardown(() => db.close())
  return db
}

test('each level reads back in its own encodings', async function (t) {
  const all = levels(await openDb(t))
  const { db, a, b, c } = all
  await populate(all)
  t.is(a.prefix, '!a!', 'prefix of a sublevel')
  t.is(b.prefix, '!a!!b!', 'prefixes concatenate')
  t.is(await db.get('k'), 'root', 'utf8')
  t.same(await a.get('k'), { n: 1 }, 'json')
  t.same(await b.get(Buffer.from('k')), { x: 1, y: 2 }, 'custom, buffer key')
  t.same(await c.get('k'), Buffer.from([0, 1, 255]), 'buffer')
  t.is(b.valueEncoding().format, 'utf8', 'the custom encoding keeps its utf8 format')
  t.is(await b.get(Buffer.from('k'), { valueEncoding: 'utf8' }), '1,2', 'and stores what encode() gave')
  t.same(await a.getMany(['k', 'missing']), [{ n: 1 }, undefined], 'getMany')
  t.ok(await b.has(Buffer.from('k')), 'has')
  t.ok(await a.has('!b!k'), "the parent reaches b's key by its prefixed name")
})

test('the stored layout is !a!!b!key, as in classic-level and memory-level', async function (t) {
  const sophia = await openDb(t)
  await populate(levels(sophia))
  const expected = [
    ['!a!!b!k', Buffer.from('1,2')],
    ['!a!k', Buffer.from('{"n":1}')],
    ['!c!k', Buffer.from([0, 1, 255])],
    ['k', Buffer.from('root')]
  ]
  t.same(await sophia.iterator(raw).all(), expected, 'raw keys and values')

  const classic = new ClassicLevel(tempLocation())
  const memory = new MemoryLevel()
  for (const other of [classic, memory]) {
    await populate(levels(other))
    t.same(await other.iterator(raw).all(), expected, `the same in ${other.constructor.name}`)
    await other.close()
  }
})

// abstract-level bounds a sublevel's range with lte '!a"', so a root key
// that is exactly '!a"' shows in `a` as the empty key: a quirk of
// abstract-level that every implementation shares, SophiaLevel included.
test('the upper bound of a sublevel is inclusive, as in classic-level and memory-level', async function (t) {
  const sophia = await openDb(t)
  const classic = new ClassicLevel(tempLocation())
  const memory = new MemoryLevel()
  for (const db of [sophia, classic, memory]) {
    await db.batch(['!a', '!a!k', '!a"', '!a"x'].map((key) => ({ type: 'put', key, value: key })))
    const a = db.sublevel('a')
    t.same(await a.iterator().all(), [['k', '!a!k'], ['', '!a"']], `${db.constructor.name}: '!a"' is the empty key of a`)
    const it = a.keys()
    it.seek('z')
    t.same(await it.next(), '', `${db.constructor.name}: even past a seek`)
    await it.close()
  }
  await classic.close()
  await memory.close()
})

test('iterators on each level return only keys within their prefix', async function (t) {
  const all = levels(await openDb(t))
  const { db, a, b, c } = all
  await populate(all)
  // Neighbours of a's range, just outside it on either side (the upper
  // bound itself, '!a"', is inside: see the next test).
  await db.put('!a', 'below')
  await db.put('!a"x', 'above')
  await b.put(Buffer.from('j'), { x: 0, y: 0 })

  t.same(await b.iterator().all(), [[Buffer.from('j'), { x: 0, y: 0 }], [Buffer.from('k'), { x: 1, y: 2 }]], 'b: its own entries, decoded')
  t.same(await b.keys({ reverse: true, limit: 1 }).all(), [Buffer.from('k')], 'b: reverse, limit')
  t.same(await a.keys().all(), ['!b!j', '!b!k', 'k'], 'a: its own keys, and those of b with their prefix')
  t.same(await a.keys({ gte: 'a' }).all(), ['k'], "a: a range above b's keys")
  t.same(await a.values({ gte: 'k', valueEncoding: 'utf8' }).all(), ['{"n":1}'], 'a: values, in another encoding')
  t.same(await c.keys({ lt: 'zzz' }).all(), ['k'], 'c: a wide range stays within c')
  t.same(await c.values().all(), [Buffer.from([0, 1, 255])], 'c: buffer values')
  t.same(await db.keys({ lt: '!b' }).all(), ['!a', '!a!!b!j', '!a!!b!k', '!a!k', '!a"x'], 'the root sees every key, raw')

  const it = a.iterator({ keys: true, values: false })
  it.seek('!b!k')
  t.same(await it.next(), ['!b!k', undefined], 'seek within a sublevel')
  it.seek('z')
  t.is(await it.next(), undefined, 'seek past its range does not leave it')
  await it.close()
})

test('batches target sublevels with the sublevel option', async function (t) {
  const all = levels(await openDb(t))
  const { db, a, b, c } = all
  await populate(all)

  await db.batch([
    { type: 'put', key: 'x', value: { v: 1 }, sublevel: a },
    { type: 'put', key: Buffer.from('y'), value: { x: 3, y: 4 }, sublevel: b },
    { type: 'del', key: 'k', sublevel: c },
    { type: 'put', key: 'root-key', value: 'r' }
  ])
  t.same(await a.get('x'), { v: 1 }, 'a put in a, in its encoding')
  t.same(await b.get(Buffer.from('y')), { x: 3, y: 4 }, 'a put in b, in its encodings')
  t.is(await c.get('k'), undefined, 'a del in c')
  t.is(await db.get('root-key'), 'r', 'and one in the root')

  await a.batch([
    { type: 'del', key: Buffer.from('y'), sublevel: b },
    { type: 'put', key: 'z', value: [1] }
  ])
  t.is(await b.get(Buffer.from('y')), undefined, "a sublevel's batch reaches its own sublevels")
  t.same(await a.get('z'), [1], 'and itself')

  await db.batch()
    .put(Buffer.from('w'), { x: 5, y: 6 }, { sublevel: b })
    .put('w', { v: 2 }, { sublevel: a })
    .del('x', { sublevel: a })
    .write()
  t.same(await b.get(Buffer.from('w')), { x: 5, y: 6 }, 'chained batch, put in b')
  t.same(await a.get('w'), { v: 2 }, 'put in a')
  t.is(await a.get('x'), undefined, 'del in a')

  // 1025 bytes with b's prefix of 6.
  const tooLarge = Buffer.alloc(1025 - b.prefix.length, 'k')
  try {
    await db.batch([
      { type: 'put', key: 'new', value: { v: 3 }, sublevel: a },
      { type: 'put', key: tooLarge, value: { x: 0, y: 0 }, sublevel: b }
    ])
    t.fail('should have been rejected')
  } catch (err) {
    t.is(err.code, 'SOPHIA_KEY_TOO_LARGE', 'the sublevel prefix counts toward the key limit')
  }
  t.is(await a.get('new'), undefined, 'and the batch wrote nothing')
  t.same(await db.keys().all(), ['!a!!b!k', '!a!!b!w', '!a!k', '!a!w', '!a!z', 'k', 'root-key'], 'the whole layout')
})

test('clear on a sublevel clears its range, nested sublevels included', async function (t) {
  const all = levels(await openDb(t))
  const { db, a, b } = all
  await populate(all)
  await b.clear()
  t.same(await db.keys().all(), ['!a!k', '!c!k', 'k'], 'b cleared')
  await populate(all)
  await a.clear({ gte: 'k' })
  t.same(await db.keys().all(), ['!a!!b!k', '!c!k', 'k'], "a range of a, above b's keys")
  await a.clear()
  t.same(await db.keys().all(), ['!c!k', 'k'], 'a cleared, with b')
})
