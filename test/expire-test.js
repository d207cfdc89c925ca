'use strict'

// The expire option (TTL): a row is invisible to every read once it has
// expired, although Sophia still holds it until compaction removes it.

const test = require('tape')
const { SophiaLevel } = require('..')
const { tempLocation, outcomeOf } = require('./common')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Sleeps until `seconds` whole seconds after the current one have begun: a
// row written now has then expired under expire = seconds.
async function waitPastExpiry (seconds) {
  const now = Date.now()
  await sleep((Math.floor(now / 1000) + seconds) * 1000 - now + 50)
}

async function openDb (t, options) {
  const db = new SophiaLevel(tempLocation(), options)
  await db.open()
  t.teardown(() => db.close())
  return db
}

test('expired rows are invisible to every read before compaction removes them', async function (t) {
  const db = await openDb(t, { expire: 1 })
  await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '2' }, { type: 'put', key: 'c', value: '3' }])
  t.is(await db.get('a'), '1', 'readable at once')
  const snapshot = db.snapshot()
  await waitPastExpiry(1)
  await db.put('fresh', 'new')
  t.is(await db.get('a'), undefined, 'get')
  t.is(db.getSync('a'), undefined, 'getSync')
  t.same(await db.getMany(['a', 'b', 'fresh']), [undefined, undefined, 'new'], 'getMany')
  t.is(await db.has('b'), false, 'has')
  t.same(await db.hasMany(['b', 'fresh']), [false, true], 'hasMany')
  t.same(await db.keys().all(), ['fresh'], 'keys')
  t.same(await db.iterator({ reverse: true }).all(), [['fresh', 'new']], 'a reverse iterator')
  t.same(await db.values({ gte: 'a', lte: 'c' }).all(), [], 'a range of expired rows only')
  t.same(await db.keys({ prefix: 'fr' }).all(), ['fresh'], 'a prefix')
  t.same(await db.keys({ snapshot }).all(), [], 'a snapshot taken before they expired')
  await snapshot.close()
  const tx = db.transaction()
  t.is(await tx.get('c'), undefined, 'a transaction')
  t.same(await tx.keys().all(), ['fresh'], 'a transaction iterator')
  await tx.rollback()
  const records = (await db.stats()).records
  t.ok(records >= 4, `Sophia still holds the expired rows: ${records} records`)
})

test('writing a row again starts its time again; deleting it ends it', async function (t) {
  const db = await openDb(t, { expire: 2 })
  await db.put('a', 'first')
  await db.put('b', 'b')
  await sleep(1100)
  await db.put('a', 'second')
  await db.del('b')
  const writtenAt = Date.now()
  await waitPastExpiry(1)
  if (Date.now() - writtenAt < 1000) t.is(await db.get('a'), 'second', 'the rewritten row lives on')
  t.is(await db.get('b'), undefined, 'the deleted row is gone')
  await waitPastExpiry(2)
  t.is(await db.get('a'), undefined, 'and expires in its turn')
})

test('Sophia removes expired rows when compaction reaches them', async function (t) {
  // cacheSize 0 flushes rows to node files at once, and Sophia's expiry
  // sweep (every expirePeriod seconds) only looks at node files.
  const db = await openDb(t, { expire: 1, expirePeriod: 1, cacheSize: 0 })
  await db.batch(Array.from({ length: 100 }, (_, i) => ({ type: 'put', key: `k${i}`, value: 'v' })))
  let count = Number(db.getProperty('db.main.index.count'))
  t.ok(count >= 100, `${count} rows held after writing`)
  const deadline = Date.now() + 15000
  while (Date.now() < deadline && count > 0) {
    await sleep(250)
    count = Number(db.getProperty('db.main.index.count'))
  }
  t.is(count, 0, 'every expired row removed')
  t.same(await db.keys().all(), [], 'and none read')
})

test('expire is kept with the database and checked when it opens', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location, { expire: 60 })
  await db.open()
  await db.put('a', '1')
  await db.close()
  for (const [options, what] of [[{}, 'without expire'], [{ expire: 30 }, 'another expire']]) {
    const other = new SophiaLevel(location, options)
    const error = await other.open().then(() => other.close().then(() => null), (err) => err)
    t.is(error && error.cause && error.cause.code, 'SOPHIA_OPTION_MISMATCH', what)
  }
  const plain = new SophiaLevel(tempLocation())
  await plain.open()
  await plain.close()
  const withExpire = new SophiaLevel(plain.location, { expire: 60 })
  t.is(await outcomeOf(withExpire.open()), 'LEVEL_DATABASE_NOT_OPEN', 'a database created without expire')
  const again = new SophiaLevel(location, { expire: 60 })
  await again.open()
  t.is(await again.get('a'), '1', 'the same expire opens')
  await again.close()
})

test('expire and expirePeriod are checked', async function (t) {
  const make = (options) => () => new SophiaLevel(tempLocation(), options)
  const cases = [
    [make({ expire: '10' }), 'TypeError', 'a string'],
    [make({ expire: 0 }), 'RangeError', 'zero'],
    [make({ expire: 1.5 }), 'RangeError', 'a fraction'],
    [make({ expire: 2 ** 32 }), 'RangeError', 'too large'],
    [make({ expire: 10, expirePeriod: 0 }), 'RangeError', 'expirePeriod zero'],
    [make({ expirePeriod: 10 }), 'TypeError', 'expirePeriod without expire']
  ]
  for (const [create, expected, what] of cases) {
    try {
      create()
      t.fail(what)
    } catch (err) {
      t.is(err.name, expected, `${what}: ${expected}`)
      t.ok(/expire/.test(err.message), `${what}: names the option`)
    }
  }
})

test('expire with a keySchema', async function (t) {
  const db = await openDb(t, { expire: 1, keySchema: [{ name: 'user', type: 'string' }, { name: 'n', type: 'u16' }] })
  await db.put(['a', 1], 'x')
  t.same(await db.keys().all(), [['a', 1]], 'visible')
  await waitPastExpiry(1)
  t.same(await db.keys({ prefix: ['a'] }).all(), [], 'expired')
  t.is(await db.get(['a', 1]), undefined, 'get')
})
