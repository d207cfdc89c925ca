'use strict'

// level-read-stream wraps db.iterator(), db.keys() and db.values() in Node
// streams, reading with nextv() and closing the iterator when the stream
// ends or is destroyed.

const test = require('tape')
const { once } = require('events')
const { Writable, pipeline } = require('stream')
const { EntryStream, KeyStream, ValueStream } = require('level-read-stream')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const letters = 'abcdefghij'.split('')

async function openDb (t, options) {
  const db = new SophiaLevel(tempLocation(), options)
  await db.open()
  t.teardown(() => db.close())
  await db.batch(letters.map((key, i) => ({ type: 'put', key, value: { i } })), { valueEncoding: 'json' })
  return db
}

// Records the iterators that streams create on `db`.
function spyIterators (db) {
  const created = []
  for (const method of ['iterator', 'keys', 'values']) {
    const original = db[method]
    db[method] = function (options) {
      const it = original.call(this, options)
      created.push(it)
      return it
    }
  }
  return created
}

async function isClosed (iterator) {
  try {
    await iterator.next()
    return false
  } catch (err) {
    return err.code === 'LEVEL_ITERATOR_NOT_OPEN'
  }
}

// Everything the stream yields, once it has ended and closed.
async function collect (stream) {
  const closed = once(stream, 'close')
  const items = []
  stream.on('data', (item) => items.push(item))
  await once(stream, 'end')
  await closed
  return items
}

test('EntryStream with gte and lt, json values', async function (t) {
  const db = await openDb(t)
  const created = spyIterators(db)
  const entries = await collect(new EntryStream(db, { gte: 'c', lt: 'f', valueEncoding: 'json' }))
  t.same(entries, [{ key: 'c', value: { i: 2 } }, { key: 'd', value: { i: 3 } }, { key: 'e', value: { i: 4 } }], 'exact entries')
  t.is(created.length, 1, 'one iterator')
  t.ok(await isClosed(created[0]), 'closed once the stream ended')
})

test('EntryStream with gt, lte, reverse and limit, utf8 values', async function (t) {
  const db = await openDb(t)
  const entries = await collect(new EntryStream(db, { gt: 'b', lte: 'h', reverse: true, limit: 3 }))
  t.same(entries, [{ key: 'h', value: '{"i":7}' }, { key: 'g', value: '{"i":6}' }, { key: 'f', value: '{"i":5}' }], 'exact entries')
})

test('KeyStream: reverse, limit, buffer and hex keys', async function (t) {
  const db = await openDb(t)
  const created = spyIterators(db)
  t.same(await collect(new KeyStream(db, { reverse: true, limit: 4 })), ['j', 'i', 'h', 'g'], 'utf8 keys')
  t.same(await collect(new KeyStream(db, { lt: 'c', keyEncoding: 'buffer' })), [Buffer.from('a'), Buffer.from('b')], 'buffer keys')
  t.same(await collect(new KeyStream(db, { gte: '6a', keyEncoding: 'hex', limit: 2 })), ['6a'], 'hex keys, bounds in hex too')
  t.same(await collect(new KeyStream(db, { gte: 'x' })), [], 'an empty range ends at once')
  t.is(created.length, 4, 'one iterator per stream')
  for (const it of created) t.ok(await isClosed(it), 'closed')
})

test('ValueStream: ranges and encodings', async function (t) {
  const db = await openDb(t)
  const created = spyIterators(db)
  t.same(await collect(new ValueStream(db, { gte: 'i', valueEncoding: 'json' })), [{ i: 8 }, { i: 9 }], 'json values')
  t.same(await collect(new ValueStream(db, { lte: 'a', valueEncoding: 'buffer' })), [Buffer.from('{"i":0}')], 'buffer values')
  t.same(await collect(new ValueStream(db, { gt: 'a', lt: 'e', reverse: true, limit: 2 })), ['{"i":3}', '{"i":2}'], 'utf8 values, reverse, limit')
  for (const it of created) t.ok(await isClosed(it), 'closed')
})

test('a long stream with backpressure arrives whole and in order', async function (t) {
  const db = new SophiaLevel(tempLocation())
  t.teardown(() => db.close())
  const keys = Array.from({ length: 5000 }, (_, i) => String(i).padStart(5, '0'))
  await db.batch(keys.map((key) => ({ type: 'put', key, value: key })))
  const created = spyIterators(db)
  const received = []
  const slow = new Writable({
    objectMode: true,
    highWaterMark: 4,
    write (entry, _, next) {
      received.push(entry)
      setImmediate(next)
    }
  })
  await new Promise((resolve, reject) => {
    pipeline(new EntryStream(db, { highWaterMark: 16 }), slow, (err) => err ? reject(err) : resolve())
  })
  t.is(received.length, keys.length, 'every entry')
  t.ok(received.every((entry, i) => entry.key === keys[i] && entry.value === keys[i]), 'in order')
  t.ok(await isClosed(created[0]), 'the iterator closed')
})

test('destroying a stream closes its iterator', async function (t) {
  const db = await openDb(t)
  const created = spyIterators(db)
  const stream = new KeyStream(db, { highWaterMark: 1 })
  const [first] = await once(stream, 'data')
  t.is(first, 'a', 'read one key')
  const closed = once(stream, 'close')
  stream.destroy()
  await closed
  t.ok(await isClosed(created[0]), 'the iterator closed')
})

test('a stream reads from the snapshot it is given, and a sublevel only its keys', async function (t) {
  const db = await openDb(t)
  const snapshot = db.snapshot()
  t.teardown(() => snapshot.close())
  await db.clear()
  t.same(await collect(new KeyStream(db, { snapshot, limit: 3 })), ['a', 'b', 'c'], 'the snapshot')
  t.same(await collect(new KeyStream(db)), [], 'the database itself is empty')

  const sublevel = db.sublevel('s', { valueEncoding: 'json' })
  await sublevel.put('k', [1])
  await db.put('z', 'outside')
  t.same(await collect(new EntryStream(sublevel)), [{ key: 'k', value: [1] }], 'a sublevel')
})

test('closing the database ends a paused stream with an error', async function (t) {
  const db = new SophiaLevel(tempLocation())
  await db.batch(letters.map((key) => ({ type: 'put', key, value: key })))
  const stream = new KeyStream(db, { highWaterMark: 1 })
  await once(stream, 'readable')
  t.is(stream.read(), 'a', 'read one key')
  let error = null
  stream.on('error', (err) => { error = err })
  // Not once(): it rejects on 'error', which is expected here.
  const closed = new Promise((resolve) => stream.on('close', resolve))
  await db.close()
  stream.resume()
  await closed
  t.is(error && error.code, 'LEVEL_ITERATOR_NOT_OPEN', 'the stream errored, then closed')
})
