'use strict'

// many-level 2's ManyLevelHost calls abstract-level 1's callback API on the
// database it hosts; withCallbacks() gives it that over a SophiaLevel. The
// guest is an abstract-level 1 database: a missing key is an error there,
// and only LEVEL_* error codes cross the wire.

const test = require('tape')
const fs = require('fs')
const net = require('net')
const path = require('path')
const { pipeline } = require('stream')
const { spawn } = require('child_process')
const { once } = require('events')
const { ManyLevelHost, ManyLevelGuest } = require('many-level')
const { SophiaLevel, withCallbacks } = require('..')
const { tempLocation } = require('./common')

const fixture = path.join(__dirname, 'fixtures', 'many-level-guest.js')
const tooLargeKey = 'k'.repeat(1025)
const letters = 'abcdefghij'.split('')

async function openDb (t, options) {
  const db = new SophiaLevel(tempLocation(), options)
  await db.open()
  t.teardown(() => db.close())
  return db
}

// A guest connected in this process to a host of `hosted`, through a pipe.
function connect (t, hosted, guestOptions, hostOptions) {
  const host = new ManyLevelHost(withCallbacks(hosted), hostOptions)
  const guest = new ManyLevelGuest(guestOptions)
  const remote = host.createRpcStream()
  remote.pipe(guest.connect()).pipe(remote)
  t.teardown(() => guest.close())
  return guest
}

async function rejects (t, promise, code, message) {
  try {
    await promise
    t.fail(`${message}: should have been rejected`)
  } catch (err) {
    t.is(err.code, code, message)
  }
}

function callback () {
  let settle
  const promise = new Promise((resolve) => { settle = resolve })
  return { promise, done: (...args) => settle(args) }
}

test('withCallbacks() is a callback view; the database keeps its promise API', async function (t) {
  const db = await openDb(t)
  const view = withCallbacks(db)
  t.not(view, db, 'a new object')
  t.is(view.supports, db.supports, 'the same manifest')
  t.is(view.status, 'open', 'the status of the database')

  let call = callback()
  view.put('a', '1', call.done)
  t.same(await call.promise, [null, undefined], 'put, options left out')
  call = callback()
  view.get('a', { valueEncoding: 'json' }, call.done)
  t.same(await call.promise, [null, 1], 'get, with options')
  call = callback()
  view.get('missing', call.done)
  const [err] = await call.promise
  t.is(err.code, 'LEVEL_NOT_FOUND', 'a missing key is LEVEL_NOT_FOUND')
  t.ok(err.notFound && err.status === 404, 'with notFound and status, as abstract-level 1 has them')
  call = callback()
  view.put(tooLargeKey, '1', call.done)
  t.is((await call.promise)[0].code, 'SOPHIA_KEY_TOO_LARGE', 'errors keep their code')
  call = callback()
  view.getMany([tooLargeKey], call.done)
  const [manyErr, values] = await call.promise
  t.is(manyErr.code, 'SOPHIA_KEY_TOO_LARGE', 'getMany errors too')
  t.same(values, [], 'and come with an empty array')

  const it = view.iterator({ valueEncoding: 'json' })
  call = callback()
  it.next(call.done)
  t.same(await call.promise, [null, 'a', 1], 'next() gives key and value')
  call = callback()
  it.next(call.done)
  t.same(await call.promise, [null], 'then nothing at the end')
  call = callback()
  it.close(call.done)
  t.same(await call.promise, [null, undefined], 'close()')

  t.throws(() => view.get('a'), TypeError, 'a callback is required')
  t.is(await db.get('a'), '1', 'the database still answers with promises')
})

test('get, getMany, put, del in utf8, json and buffer encodings', async function (t) {
  const db = await openDb(t)
  const guest = connect(t, db)
  await guest.put('text', 'héllo')
  await guest.put('object', { n: 1, list: [true, null] }, { valueEncoding: 'json' })
  await guest.put(Buffer.from([0, 255]), Buffer.from([1, 0, 2]), { keyEncoding: 'buffer', valueEncoding: 'buffer' })

  t.is(await guest.get('text'), 'héllo', 'utf8')
  t.same(await guest.get('object', { valueEncoding: 'json' }), { n: 1, list: [true, null] }, 'json')
  t.same(await guest.get(Buffer.from([0, 255]), { keyEncoding: 'buffer', valueEncoding: 'buffer' }), Buffer.from([1, 0, 2]), 'buffer')
  t.is(await db.get('object'), '{"n":1,"list":[true,null]}', 'the host stores what the guest encoded')
  t.same(await guest.getMany(['text', 'missing', 'object']), ['héllo', undefined, '{"n":1,"list":[true,null]}'], 'getMany, undefined for a missing key')

  await rejects(t, guest.get('missing'), 'LEVEL_NOT_FOUND', 'a missing key rejects with LEVEL_NOT_FOUND, as abstract-level 1 does')
  await guest.del('text')
  await rejects(t, guest.get('text'), 'LEVEL_NOT_FOUND', 'deleted')
  t.is(await db.get('text'), undefined, 'deleted on the host')
  await guest.put('empty', '')
  t.is(await guest.get('empty'), '', 'an empty value is not missing')
})

test('array and chained batches are atomic', async function (t) {
  const db = await openDb(t, { valueEncoding: 'json' })
  const guest = connect(t, db, { valueEncoding: 'json' })
  await guest.put('gone', 0)
  await guest.batch([
    { type: 'put', key: 'a', value: { a: 1 } },
    { type: 'put', key: 'b', value: [2] },
    { type: 'del', key: 'gone' }
  ])
  await guest.batch().put('c', 3).del('b').write()
  t.same(await db.iterator().all(), [['a', { a: 1 }], ['c', 3]], 'both batches applied')

  await rejects(t, guest.batch([
    { type: 'put', key: 'd', value: 4 },
    { type: 'put', key: tooLargeKey, value: 5 }
  ]), 'LEVEL_REMOTE_ERROR', 'a batch with an oversized key fails')
  t.same(await db.keys().all(), ['a', 'c'], 'and writes nothing')
})

test('iterators: ranges, reverse, limit, keys, values, seek', async function (t) {
  const db = await openDb(t)
  await db.batch(letters.map((key, i) => ({ type: 'put', key, value: String(i) })))
  const guest = connect(t, db)

  t.same(await guest.iterator({ gte: 'c', lt: 'f' }).all(), [['c', '2'], ['d', '3'], ['e', '4']], 'gte, lt')
  t.same(await guest.iterator({ gt: 'c', lte: 'f', reverse: true }).all(), [['f', '5'], ['e', '4'], ['d', '3']], 'gt, lte, reverse')
  t.same(await guest.keys({ limit: 3 }).all(), ['a', 'b', 'c'], 'keys, limit')
  t.same(await guest.values({ reverse: true, limit: 2 }).all(), ['9', '8'], 'values, reverse, limit')
  t.same(await guest.keys({ limit: 0 }).all(), [], 'limit 0')
  t.same(await guest.keys({ gte: 'x' }).all(), [], 'an empty range')

  const it = guest.iterator({ lt: 'h' })
  it.seek('d')
  t.same(await it.next(), ['d', '3'], 'seek, then next')
  t.same(await it.nextv(2), [['e', '4'], ['f', '5']], 'nextv after seek')
  it.seek('b')
  t.same(await it.nextv(10), [['b', '1'], ['c', '2'], ['d', '3'], ['e', '4'], ['f', '5'], ['g', '6']], 'seek back, within the range')
  it.seek('z')
  t.is(await it.next(), undefined, 'seek past the range')
  await it.close()

  const reverse = guest.keys({ reverse: true, limit: 3 })
  reverse.seek('e')
  t.same(await reverse.all(), ['e', 'd', 'c'], 'seek in reverse, limited')

  const limited = guest.keys({ limit: 4 })
  t.same(await limited.nextv(2), ['a', 'b'], 'limit counts across reads')
  limited.seek('g')
  t.same(await limited.nextv(10), ['g', 'h'], 'and across seeks')
  await limited.close()

  const json = guest.iterator({ gte: 'j', valueEncoding: 'json' })
  t.same(await json.all(), [['j', 9]], 'value encodings apply on the guest')
})

test('a long iteration arrives whole and in order', async function (t) {
  const db = await openDb(t)
  const keys = Array.from({ length: 3000 }, (_, i) => String(i).padStart(5, '0'))
  await db.batch(keys.map((key) => ({ type: 'put', key, value: 'x'.repeat(100) })))
  const guest = connect(t, db)
  t.same(await guest.keys().all(), keys, 'every key, forwards')
  let count = 0
  let previous = '99999'
  for await (const [key, value] of guest.iterator({ reverse: true })) {
    if (key >= previous || value.length !== 100) break
    previous = key
    count++
  }
  t.is(count, keys.length, 'every entry, backwards, one next() at a time')
})

test('binary keys sort bytewise through the guest', async function (t) {
  const db = await openDb(t, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  const guest = connect(t, db, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  const keys = [[0], [0, 0], [1], [127], [128], [255], [255, 0]].map((bytes) => Buffer.from(bytes))
  await guest.batch(keys.slice().reverse().map((key) => ({ type: 'put', key, value: Buffer.concat([key, key]) })))
  t.same(await guest.keys().all(), keys, 'bytewise order, a shorter prefix first')
  t.same(await guest.iterator({ gt: Buffer.from([0, 0]), lt: Buffer.from([255]) }).all(),
    keys.slice(2, 5).map((key) => [key, Buffer.concat([key, key])]), 'binary ranges')
})

test('clear, with ranges, reverse and limit', async function (t) {
  const db = await openDb(t)
  await db.batch(letters.map((key) => ({ type: 'put', key, value: key })))
  const guest = connect(t, db)
  await guest.clear({ gte: 'b', lt: 'd' })
  t.same(await db.keys().all(), ['a', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], 'a range')
  await guest.clear({ reverse: true, limit: 2 })
  t.same(await db.keys().all(), ['a', 'd', 'e', 'f', 'g', 'h'], 'the last two')
  await guest.clear({ limit: 1 })
  t.same(await db.keys().all(), ['d', 'e', 'f', 'g', 'h'], 'the first one')
  await guest.clear()
  t.same(await db.keys().all(), [], 'everything')
})

test('sublevels: of the guest, and a hosted sublevel', async function (t) {
  const db = await openDb(t)
  const guest = connect(t, db)
  await guest.sublevel('s', { valueEncoding: 'json' }).put('k', { x: 1 })
  t.same(await db.sublevel('s', { valueEncoding: 'json' }).get('k'), { x: 1 }, "a guest's sublevel is the host's sublevel")
  t.same(await db.keys().all(), ['!s!k'], 'with the same prefix')

  const hosted = db.sublevel('hosted')
  await db.put('outside', '1')
  await hosted.put('inside', '2')
  const confined = connect(t, hosted)
  t.same(await confined.iterator().all(), [['inside', '2']], 'a hosted sublevel shows only its own entries')
  await confined.put('new', '3')
  t.same(await db.keys().all(), ['!hosted!inside', '!hosted!new', '!s!k', 'outside'], 'and writes within it')
})

test('errors: only LEVEL_* codes cross, the rest as LEVEL_REMOTE_ERROR', async function (t) {
  const db = await openDb(t)
  await db.put('a', '1')
  const guest = connect(t, db)
  // The host replaces SOPHIA_KEY_TOO_LARGE: many-level forwards codes that
  // start with LEVEL_ and no message.
  await rejects(t, guest.put(tooLargeKey, 'x'), 'LEVEL_REMOTE_ERROR', 'put of an oversized key')
  await rejects(t, guest.get(tooLargeKey), 'LEVEL_REMOTE_ERROR', 'get')
  await rejects(t, guest.del(tooLargeKey), 'LEVEL_REMOTE_ERROR', 'del')
  await rejects(t, guest.getMany(['a', tooLargeKey]), 'LEVEL_REMOTE_ERROR', 'getMany')
  t.is(await guest.get('a'), '1', 'the host serves on after errors')

  const readonly = connect(t, db, undefined, { readonly: true })
  await rejects(t, readonly.put('b', '2'), 'LEVEL_READONLY', 'host options still apply')
})

test('iterators of the database close with those of the guest, and on disconnect', async function (t) {
  t.timeoutAfter(10000)
  const db = await openDb(t)
  await db.batch(letters.map((key) => ({ type: 'put', key, value: key })))
  // The database iterators the host creates, each with a `closing` flag.
  const created = []
  const iterator = db.iterator
  db.iterator = function (options) {
    const it = iterator.call(this, options)
    const close = it.close
    it.closing = false
    it.close = function () {
      it.closing = true
      return close.call(this)
    }
    created.push(it)
    return it
  }
  const guest = connect(t, db)

  const first = guest.iterator()
  t.same(await first.next(), ['a', 'a'], 'read one entry')
  await first.close()
  await guest.get('a') // a round trip, after the close
  t.ok(created[0].closing, 'closed with the guest iterator')
  await rejects(t, created[0].next(), 'LEVEL_ITERATOR_NOT_OPEN', 'and no longer readable')

  const second = guest.iterator()
  t.same(await second.next(), ['a', 'a'], 'read one entry')
  await guest.close()
  while (!created[1].closing) await new Promise((resolve) => setImmediate(resolve))
  await rejects(t, created[1].next(), 'LEVEL_ITERATOR_NOT_OPEN', 'closed when the guest disconnects')
  t.is(created.length, 2, 'one database iterator per guest iterator')
})

test('once the database is closed, the guest gets LEVEL_DATABASE_NOT_OPEN', async function (t) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put', key: String(i).padStart(4, '0'), value: 'x'.repeat(100) })))
  const guest = connect(t, db)
  const open = guest.values()
  t.is(await open.next(), 'x'.repeat(100), 'an iterator, open')
  await db.close()
  await rejects(t, guest.get('0000'), 'LEVEL_DATABASE_NOT_OPEN', 'get')
  await rejects(t, guest.put('b', '2'), 'LEVEL_DATABASE_NOT_OPEN', 'put')
  await rejects(t, guest.iterator().next(), 'LEVEL_DATABASE_NOT_OPEN', 'a new iterator, without taking the host down')
  // The host read ahead before the close: the guest has those values first.
  let read = 1
  try {
    while (await open.next() !== undefined) read++
    t.fail('the open iterator should fail')
  } catch (err) {
    t.is(err.code, 'LEVEL_ITERATOR_NOT_OPEN', 'the open iterator fails after what was read ahead')
  }
  t.ok(read < 2000, `not every value arrived (${read})`)
})

test('a guest in another process, over a Unix socket', async function (t) {
  const db = await openDb(t, { valueEncoding: 'json' })
  await db.put('from-host', { hello: 'guest' })
  await db.put('to-delete', true)
  const host = new ManyLevelHost(withCallbacks(db))

  const dir = tempLocation()
  fs.mkdirSync(dir, { recursive: true })
  const socketPath = path.join(dir, 'host.sock')
  const server = net.createServer((socket) => {
    pipeline(socket, host.createRpcStream(), socket, () => {})
  })
  server.listen(socketPath)
  await once(server, 'listening')

  const child = spawn(process.execPath, [fixture, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] })
  const timer = setTimeout(() => child.kill(), 30000)
  let output = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk) => { output += chunk })
  const [code, signal] = await once(child, 'close')
  clearTimeout(timer)
  t.is(signal, null, 'the guest finished in time')
  t.is(code, 0, 'the guest exited cleanly')

  const results = JSON.parse(output)
  t.same(results.fromHost, { hello: 'guest' }, 'the guest read what the host wrote')
  t.same(results.range, [['guest-1', 1], ['guest-2', 2]], 'and a range it wrote itself')
  t.same(results.reverseKeys, ['guest-2', 'guest-1'], 'reverse and limit')
  t.same(results.seek, ['from-host', { hello: 'guest' }], 'seek')
  t.is(results.missing, 'LEVEL_NOT_FOUND', 'a missing key')
  t.is(results.tooLarge, 'LEVEL_REMOTE_ERROR', 'an oversized key')
  t.same(await db.get('from-guest'), { pid: child.pid }, "the host has the guest's put")
  t.same(await db.keys().all(), ['from-guest', 'from-host', 'guest-1', 'guest-2'], 'and its batch')

  server.close()
  await once(server, 'close')
})
