'use strict'

// Interactive transactions: isolation, conflicts, the managed form, and the
// life cycle. Conflict cases are checked in both commit orders.

const test = require('tape')
const { SophiaLevel } = require('..')
const { tempLocation, outcomeOf: code } = require('./common')

async function openDb (t, options) {
  const db = new SophiaLevel(tempLocation(), options)
  await db.open()
  t.teardown(() => db.close())
  return db
}

test('reads see the snapshot at begin plus own writes, in point reads and iterators', async function (t) {
  const db = await openDb(t)
  await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'c', value: '3' }, { type: 'put', key: 'e', value: '5' }])
  const tx = db.transaction()
  await db.put('b', 'later')
  await db.del('e')
  t.is(await tx.get('b'), undefined, 'a commit after begin is invisible')
  t.is(await tx.get('e'), '5', 'so is a delete')
  await tx.put('d', '4')
  await tx.put('a', 'one')
  await tx.del('c')
  t.is(await tx.get('a'), 'one', 'own put')
  t.is(await tx.get('c'), undefined, 'own delete')
  t.same(await tx.getMany(['a', 'b', 'c', 'd', 'e']), ['one', undefined, undefined, '4', '5'], 'getMany')
  t.same(await tx.hasMany(['a', 'c', 'd']), [true, false, true], 'hasMany')
  t.is(await tx.has('d'), true, 'has')
  t.same(await tx.iterator().all(), [['a', 'one'], ['d', '4'], ['e', '5']], 'iterator merges own writes')
  t.same(await tx.keys({ reverse: true }).all(), ['e', 'd', 'a'], 'reverse')
  t.same(await tx.values({ gt: 'a', lte: 'd' }).all(), ['4'], 'range')
  t.same(await tx.iterator({ limit: 2, reverse: true }).all(), [['e', '5'], ['d', '4']], 'limit')
  const it = tx.iterator()
  it.seek('b')
  t.same(await it.next(), ['d', '4'], 'seek lands on an own write')
  it.seek('a')
  t.same(await it.all(), [['a', 'one'], ['d', '4'], ['e', '5']], 'seek back')
  t.same(await db.iterator().all(), [['a', '1'], ['b', 'later'], ['c', '3']], 'nothing visible outside before commit')
  t.is(await code(tx.commit()), 'SOPHIA_TRANSACTION_CONFLICT', 'it read b and e, which changed after it began')
  t.same(await db.iterator().all(), [['a', '1'], ['b', 'later'], ['c', '3']], 'and applied nothing')

  const clean = db.transaction()
  await clean.put('d', '4')
  await clean.del('c')
  t.same(await clean.iterator().all(), [['a', '1'], ['b', 'later'], ['d', '4']])
  t.is(await code(clean.commit()), 'ok')
  t.same(await db.iterator().all(), [['a', '1'], ['b', 'later'], ['d', '4']], 'all applied at commit')
})

test('an iterator sees own writes made before it was created, not after', async function (t) {
  const db = await openDb(t)
  const tx = db.transaction()
  await tx.put('a', '1')
  const it = tx.keys()
  await tx.put('b', '2')
  t.same(await it.all(), ['a'])
  t.same(await tx.keys().all(), ['a', 'b'])
  await tx.rollback()
})

test('encodings and sublevels work as in db.batch()', async function (t) {
  const db = await openDb(t)
  const accounts = db.sublevel('accounts', { valueEncoding: 'json' })
  const nested = accounts.sublevel('archive', { keyEncoding: 'buffer', valueEncoding: 'utf8' })
  await db.transaction(async (tx) => {
    await tx.put('alice', { balance: 10 }, { sublevel: accounts })
    t.same(await tx.iterator({ sublevel: accounts }).all(), [['alice', { balance: 10 }]], 'sublevel iterator')
    await tx.put(Buffer.from([0, 1]), 'old', { sublevel: nested })
    await tx.put('plain', { x: 1 }, { valueEncoding: 'json' })
    t.same(await tx.get('alice', { sublevel: accounts }), { balance: 10 }, 'decoded inside')
    t.same(await tx.keys({ sublevel: nested }).all(), [Buffer.from([0, 1])], 'nested, buffer keys')
    t.same(await tx.get('plain', { valueEncoding: 'json' }), { x: 1 })
  })
  t.same(await accounts.get('alice'), { balance: 10 })
  t.is(await nested.get(Buffer.from([0, 1])), 'old')
  t.same(await db.get('plain', { valueEncoding: 'json' }), { x: 1 })
  const other = new SophiaLevel(tempLocation())
  await other.open()
  const tx = db.transaction()
  t.is(await code(tx.get('x', { sublevel: other.sublevel('s') })), 'TypeError', 'a sublevel of another database is refused')
  t.is(await code(tx.put('x', 'y', { sublevel: other.sublevel('s') })), 'TypeError', 'for writes too')
  await tx.rollback()
  await other.close()
})

test('conflicts: exactly one of two transactions writing the same key commits', async function (t) {
  for (const firstToCommit of [0, 1]) {
    const db = await openDb(t)
    const txs = [db.transaction(), db.transaction()]
    await txs[0].put('k', 'zero')
    await txs[1].put('k', 'one')
    const first = await code(txs[firstToCommit].commit())
    const second = await code(txs[1 - firstToCommit].commit())
    t.same([first, second].sort(), ['SOPHIA_TRANSACTION_CONFLICT', 'ok'], `one winner (tx ${firstToCommit} commits first: ${first}, ${second})`)
    const winner = first === 'ok' ? firstToCommit : 1 - firstToCommit
    t.is(await db.get('k'), winner === 0 ? 'zero' : 'one', 'the winner\'s value')
  }
})

test('conflicts: a lost update is impossible', async function (t) {
  const db = await openDb(t)
  await db.put('counter', '0')
  const a = db.transaction()
  const b = db.transaction()
  await a.put('counter', String(Number(await a.get('counter')) + 1))
  await b.put('counter', String(Number(await b.get('counter')) + 1))
  t.is(await code(a.commit()), 'ok')
  t.is(await code(b.commit()), 'SOPHIA_TRANSACTION_CONFLICT')
  t.is(await db.get('counter'), '1')
})

test('conflicts: write skew is impossible, through point reads and through ranges', async function (t) {
  const db = await openDb(t)
  await db.batch([{ type: 'put', key: 'x', value: '1' }, { type: 'put', key: 'y', value: '1' }])
  // Each reads the other's key and writes its own: both committing is not serializable.
  const a = db.transaction()
  const b = db.transaction()
  await a.put('x', String(Number(await a.get('y')) - 1))
  await b.put('y', String(Number(await b.get('x')) - 1))
  const results = [await code(a.commit()), await code(b.commit())]
  t.same(results, ['ok', 'SOPHIA_TRANSACTION_CONFLICT'], 'point reads')

  // Each counts the rows of a range and adds one: a phantom for the other.
  const c = db.transaction()
  const d = db.transaction()
  await c.put('row:c', String((await c.keys({ gte: 'row:', lt: 'row;' }).all()).length))
  await d.put('row:d', String((await d.keys({ gte: 'row:', lt: 'row;' }).all()).length))
  t.same([await code(c.commit()), await code(d.commit())], ['ok', 'SOPHIA_TRANSACTION_CONFLICT'], 'ranges')

  // A read after the transaction's last write is checked too.
  const e = db.transaction()
  await e.put('z', '1')
  const seen = await e.get('x')
  await db.put('x', 'changed by someone else')
  t.is(await code(e.commit()), 'SOPHIA_TRANSACTION_CONFLICT', `a trailing read (${seen}) is checked`)
})

test('conflicts: reads that stay valid do not conflict', async function (t) {
  const db = await openDb(t)
  await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'm', value: '2' }, { type: 'put', key: 'z', value: '3' }])
  const tx = db.transaction()
  const it = tx.iterator({ gte: 'a' })
  t.same(await it.next(), ['a', '1'])
  await it.close()
  t.is(await tx.get('m'), '2')
  await tx.put('out', 'x')
  await db.put('z', 'beyond what the iterator read')
  await db.put('n', 'a key nobody read')
  t.is(await code(tx.commit()), 'ok', 'changes outside what was read are fine')
  t.is(await db.get('out'), 'x')
})

test('conflicts: a deleted key read, and a key deleted by another', async function (t) {
  const db = await openDb(t)
  await db.put('k', 'v')
  const a = db.transaction()
  t.is(await a.get('k'), 'v')
  await a.put('other', '1')
  await db.del('k')
  t.is(await code(a.commit()), 'SOPHIA_TRANSACTION_CONFLICT', 'read then deleted by another')
  const b = db.transaction()
  t.is(await b.get('k'), undefined)
  await b.put('k2', '1')
  await db.put('k', 'back')
  t.is(await code(b.commit()), 'SOPHIA_TRANSACTION_CONFLICT', 'read absent, then created by another')
})

test('read-only transactions always commit', async function (t) {
  const db = await openDb(t)
  await db.put('a', '1')
  const tx = db.transaction()
  t.is(await tx.get('a'), '1')
  t.same(await tx.keys().all(), ['a'])
  await db.put('a', '2')
  t.is(await code(tx.commit()), 'ok')
})

test('plain writes to a key an open transaction has written are SOPHIA_TRANSACTION_LOCKED', async function (t) {
  const db = await openDb(t)
  const tx = db.transaction()
  await tx.put('k', 'tx')
  t.is(await code(db.put('k', 'plain')), 'SOPHIA_TRANSACTION_LOCKED', 'put')
  t.is(await code(db.del('k')), 'SOPHIA_TRANSACTION_LOCKED', 'del')
  t.is(await code(db.batch([{ type: 'put', key: 'other', value: '1' }, { type: 'put', key: 'k', value: 'b' }])), 'SOPHIA_TRANSACTION_LOCKED', 'batch')
  t.is(await db.get('other'), undefined, 'the batch applied nothing')
  await db.put('free', 'other keys are fine')
  await tx.commit()
  t.is(await db.get('k'), 'tx')
  await db.put('k', 'plain')
  t.is(await db.get('k'), 'plain', 'free again once the transaction ended')
})

test('managed: commits, rolls back on throw, retries on conflict, gives up after retries', async function (t) {
  const db = await openDb(t)
  t.is(await db.transaction(async (tx) => { await tx.put('a', '1'); return 'result' }), 'result')
  t.is(await db.get('a'), '1')

  const failure = await code(db.transaction(async (tx) => { await tx.put('a', '2'); throw new Error('no') }))
  t.is(failure, 'Error')
  t.is(await db.get('a'), '1', 'rolled back')

  let runs = 0
  await db.transaction(async (tx) => {
    runs++
    const value = await tx.get('a')
    if (runs === 1) await db.put('a', 'changed under it')
    await tx.put('a', value + '+')
  })
  t.is(runs, 2, 'ran again after a conflict')
  t.is(await db.get('a'), 'changed under it+', 'against a fresh snapshot')

  runs = 0
  const exhausted = await code(db.transaction(async (tx) => {
    runs++
    const value = await tx.get('a')
    await db.put('a', 'x' + runs)
    await tx.put('a', value + '!')
  }, { retries: 2 }))
  t.is(exhausted, 'SOPHIA_TRANSACTION_CONFLICT', 'the last conflict is rethrown')
  t.is(runs, 3, 'one run and two retries')

  t.throws(() => db.transaction('nope'), TypeError)
  t.is(await code(db.transaction(() => {}, { retries: -1 })), 'RangeError')
  t.is(await code(db.transaction(() => {}, { retries: '3' })), 'TypeError')
})

test('managed: overlapping transfers keep the total (serializability under contention)', async function (t) {
  const db = await openDb(t, { valueEncoding: 'json' })
  const accounts = ['a', 'b', 'c', 'd']
  await db.batch(accounts.map((key) => ({ type: 'put', key, value: 100 })))
  let conflicts = 0
  const transfer = (i) => {
    let attempt = 0
    return db.transaction(async (tx) => {
      if (attempt++ > 0) conflicts++
      const from = accounts[i % 4]
      const to = accounts[(i * 7 + 1) % 4]
      const balance = await tx.get(from)
      await new Promise((resolve) => setImmediate(resolve))
      if (balance < 5 || from === to) return
      await tx.put(from, balance - 5)
      await tx.put(to, (await tx.get(to)) + 5)
    }, { retries: 1000 })
  }
  await Promise.all(Array.from({ length: 200 }, (_, i) => transfer(i)))
  const balances = await db.values().all()
  t.is(balances.reduce((sum, balance) => sum + balance, 0), 400, `total unchanged after 200 transfers (${conflicts} conflicts retried)`)
  t.ok(conflicts > 0, 'there was contention')
  t.ok(balances.every((balance) => balance >= 0), 'no overdraft')
})

test('life cycle: after commit, rollback or close the transaction is SOPHIA_TRANSACTION_NOT_OPEN', async function (t) {
  const db = await openDb(t)
  const committed = db.transaction()
  await committed.put('a', '1')
  await committed.commit()
  t.is(committed.open, false)
  for (const [name, call] of [['get', () => committed.get('a')], ['put', () => committed.put('b', '1')], ['del', () => committed.del('a')],
    ['commit', () => committed.commit()], ['rollback', () => committed.rollback()]]) {
    t.is(await code(call()), 'SOPHIA_TRANSACTION_NOT_OPEN', `${name} after commit`)
  }
  t.throws(() => committed.iterator(), /not open/, 'iterator after commit')

  const rolledBack = db.transaction()
  await rolledBack.put('c', '1')
  await rolledBack.rollback()
  t.is(await code(rolledBack.get('c')), 'SOPHIA_TRANSACTION_NOT_OPEN')
  t.is(await db.get('c'), undefined, 'rolled back')

  const iteratorOfEnded = db.transaction()
  const it = iteratorOfEnded.keys()
  await iteratorOfEnded.commit()
  t.is(await code(it.next()), 'LEVEL_ITERATOR_NOT_OPEN', 'its iterators are closed')

  const disposed = db.transaction()
  await disposed.put('d', '1')
  await disposed[Symbol.asyncDispose]()
  t.is(disposed.open, false, 'asyncDispose rolls back')
  t.is(await db.get('d'), undefined)

  const open = db.transaction()
  await open.put('e', '1')
  await db.close()
  t.is(await code(open.get('e')), 'SOPHIA_TRANSACTION_NOT_OPEN', 'closing the database rolls back')
  await db.open()
  t.is(await db.get('e'), undefined)
  t.throws(() => new SophiaLevel(tempLocation()).transaction(), /not open/, 'needs an open database')
})

test('the transaction option is checked', async function (t) {
  const db = await openDb(t)
  const other = await openDb(t)
  const tx = other.transaction()
  t.is(await code(db.get('a', { transaction: tx })), 'TypeError', 'a transaction of another database')
  t.is(await code(db.get('a', { transaction: {} })), 'TypeError', 'not a transaction')
  const own = db.transaction()
  const snapshot = db.snapshot()
  t.is(await code(db.get('a', { transaction: own, snapshot })), 'TypeError', 'with a snapshot')
  t.is(await code(db.clear({ transaction: own })), 'LEVEL_NOT_SUPPORTED', 'clear')
  await snapshot.close()
  await own.rollback()
  await tx.rollback()
})
