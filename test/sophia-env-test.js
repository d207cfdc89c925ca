'use strict'

// Several databases in one environment: isolation between them, atomic
// transactions across them, and a declaration order that can never mix up
// their data, even when the log is replayed after a crash.

const test = require('tape')
const fs = require('fs')
const path = require('path')
const { spawn } = require('child_process')
const { once } = require('events')
const { SophiaEnv, SophiaLevel } = require('..')
const { tempLocation } = require('./common')

async function code (promise) {
  try {
    await promise
    return 'ok'
  } catch (err) {
    return err.code || err.name
  }
}

test('databases of one environment are separate; opening one opens them all', async function (t) {
  const env = new SophiaEnv(tempLocation())
  const users = env.database('users', { valueEncoding: 'json' })
  const orders = env.database('orders')
  await users.open()
  t.is(env.status, 'open', 'opening a database opened the environment')
  await orders.open()
  await users.put('k', { name: 'ann' })
  await orders.put('k', 'order 1')
  t.same(await users.get('k'), { name: 'ann' })
  t.is(await orders.get('k'), 'order 1')
  t.same(await users.keys().all(), ['k'], 'no key of the other database')
  await users.close()
  t.is(await orders.get('k'), 'order 1', 'closing one database leaves the others open')
  await env.close()
  t.is(orders.status, 'closed', 'closing the environment closes its databases')
  await env.open()
  t.is(users.status, 'open', 'env.open() opens every database')
  t.same(await users.get('k'), { name: 'ann' })
  await env.close()
})

test('transactions span databases and commit atomically', async function (t) {
  const env = new SophiaEnv(tempLocation())
  const accounts = env.database('accounts', { valueEncoding: 'json' })
  const ledger = env.database('ledger', { valueEncoding: 'json' })
  await env.open()
  await accounts.batch([{ type: 'put', key: 'alice', value: 100 }, { type: 'put', key: 'bob', value: 0 }])
  await env.transaction(async (tx) => {
    const balance = await tx.get('alice', { db: accounts })
    await tx.put('alice', balance - 30, { db: accounts })
    await tx.put('bob', (await tx.get('bob', { db: accounts })) + 30, { db: accounts })
    await tx.put('1', { from: 'alice', to: 'bob', amount: 30 }, { db: ledger })
    t.same(await tx.iterator({ db: ledger }).all(), [['1', { from: 'alice', to: 'bob', amount: 30 }]], 'own writes in another database')
    t.is(await ledger.get('1'), undefined, 'invisible outside before commit')
  })
  t.same(await accounts.getMany(['alice', 'bob']), [70, 30])
  t.same(await ledger.get('1'), { from: 'alice', to: 'bob', amount: 30 })

  const tx = env.transaction()
  await tx.put('2', { amount: 1 }, { db: ledger })
  await tx.put('alice', 69, { db: accounts })
  await tx.rollback()
  t.is(await ledger.get('2'), undefined, 'a rollback applies nothing, in any database')
  t.is(await accounts.get('alice'), 70)

  const conflicting = env.transaction()
  await conflicting.get('alice', { db: accounts })
  await conflicting.put('3', { amount: 5 }, { db: ledger })
  await accounts.put('alice', 0)
  t.is(await code(conflicting.commit()), 'SOPHIA_TRANSACTION_CONFLICT', 'a read in one database, a change there, a write in another')
  t.is(await ledger.get('3'), undefined)

  const unnamed = env.transaction()
  t.is(await code(unnamed.put('x', 'y')), 'TypeError', 'an environment transaction needs the db option')
  const other = new SophiaLevel(tempLocation())
  await other.open()
  t.is(await code(unnamed.put('x', 'y', { db: other })), 'TypeError', 'a database of another environment is refused')
  await other.close()
  await env.close()
  t.is(unnamed.open, false, 'closing the environment rolls back its transactions')
})

test('reopening with databases declared in another order, or fewer of them, keeps every database\'s data', async function (t) {
  const location = tempLocation()
  const first = new SophiaEnv(location)
  const a = first.database('a')
  const b = first.database('b')
  await first.open()
  await a.put('key', 'in a')
  await b.put('key', 'in b')
  await first.close()
  t.same(fs.readFileSync(path.join(location, 'databases'), 'utf8').split('\n').filter(Boolean), ['a', 'b'], 'the order is kept on disk')

  const swapped = new SophiaEnv(location)
  const b2 = swapped.database('b')
  const c2 = swapped.database('c')
  const a2 = swapped.database('a')
  await swapped.open()
  t.is(await a2.get('key'), 'in a')
  t.is(await b2.get('key'), 'in b')
  t.is(await c2.get('key'), undefined, 'a new database is empty')
  await c2.put('key', 'in c')
  await swapped.close()
  t.same(fs.readFileSync(path.join(location, 'databases'), 'utf8').split('\n').filter(Boolean), ['a', 'b', 'c'], 'new names are appended')

  const onlyC = new SophiaEnv(location)
  const c3 = onlyC.database('c')
  await onlyC.open()
  t.is(await c3.get('key'), 'in c', 'declaring fewer databases still replays the others\' log records into them')
  await onlyC.close()

  const single = new SophiaLevel(location)
  await single.open()
  t.is(await single.get('key'), undefined, 'new SophiaLevel(location) is the database "main" of the environment')
  await single.close()
})

test('after a crash before anything is flushed, the log replays into the right databases whatever the order', async function (t) {
  const location = tempLocation()
  for (const order of ['forward', 'reverse', 'forward']) {
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'env-writer.js'), location, order], { stdio: ['ignore', 'pipe', 'inherit'] })
    let acknowledged = -1
    child.stdout.on('data', (chunk) => {
      const lines = String(chunk).trim().split('\n')
      acknowledged = Number(lines[lines.length - 1])
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    child.kill('SIGKILL')
    await once(child, 'exit')
    t.ok(acknowledged >= 0, `the writer (${order}) acknowledged ${acknowledged + 1} rounds`)
    const env = new SophiaEnv(location)
    const beta = env.database('beta')
    const alpha = env.database('alpha')
    await env.open()
    const alphaValues = new Set(await alpha.values().all())
    const betaValues = new Set(await beta.values().all())
    t.same([...alphaValues], ['alpha'], 'only alpha\'s data in alpha')
    t.same([...betaValues], ['beta'], 'only beta\'s data in beta')
    t.is(await alpha.get(`t${acknowledged}`), 'alpha', 'the last acknowledged transaction is there')
    t.is(await beta.get(`t${acknowledged}`), 'beta', 'in both databases')
    const alphaT = (await alpha.keys({ gte: 't', lt: 'u' }).all()).sort()
    const betaT = (await beta.keys({ gte: 't', lt: 'u' }).all()).sort()
    t.same(alphaT, betaT, 'no transaction applied to one database only')
    await env.close()
  }
})

test('names, declaration after open, and the lock', async function (t) {
  const location = tempLocation()
  const env = new SophiaEnv(location)
  for (const name of ['', 'a.b', 'log', 'x'.repeat(65), 'sp ace']) {
    t.throws(() => env.database(name), RangeError, `refuses ${JSON.stringify(name)}`)
  }
  t.throws(() => env.database(42), TypeError)
  env.database('one')
  t.throws(() => env.database('one'), /already declared/)
  await env.open()
  t.throws(() => env.database('two'), /before the environment opens/)
  const intruder = new SophiaLevel(location)
  t.is((await code(intruder.open())), 'LEVEL_DATABASE_NOT_OPEN', 'the environment is locked')
  const second = new SophiaEnv(location)
  const secondDb = second.database('one')
  t.is(await code(secondDb.open()), 'LEVEL_DATABASE_NOT_OPEN', 'also against a second SophiaEnv')
  await env.close()
  t.throws(() => new SophiaEnv(location, { threads: 0 }), RangeError)
  t.throws(() => new SophiaEnv(''), TypeError)
  t.throws(() => env.transaction(), /not open/)
})
