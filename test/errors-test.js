'use strict'

// Bad arguments are TypeErrors; failures carry LEVEL_* or SOPHIA_* codes with
// Sophia's own message in the text.

const test = require('tape')
const fs = require('fs')
const path = require('path')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

async function openError (t, db) {
  try {
    await db.open()
    t.fail('should not open')
    return null
  } catch (err) {
    t.is(err.code, 'LEVEL_DATABASE_NOT_OPEN')
    return err.cause
  }
}

test('location must be a non-empty string', function (t) {
  for (const location of [undefined, null, '', 42, {}, Buffer.from('x')]) {
    t.throws(() => new SophiaLevel(location), TypeError, `rejects ${String(location)}`)
  }
  t.end()
})

test('createIfMissing: false on a missing directory, or one without a database', async function (t) {
  const missing = tempLocation()
  let cause = await openError(t, new SophiaLevel(missing, { createIfMissing: false }))
  t.is(cause.code, 'SOPHIA_DATABASE_MISSING')
  t.ok(/does not exist/.test(cause.message), cause.message)
  t.notOk(fs.existsSync(missing), 'nothing created')

  const empty = tempLocation()
  fs.mkdirSync(empty)
  cause = await openError(t, new SophiaLevel(empty, { createIfMissing: false }))
  t.is(cause.code, 'SOPHIA_DATABASE_MISSING')
  t.same(fs.readdirSync(empty), [], 'an empty directory stays empty')
})

test('errorIfExists: true on an existing database', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location)
  await db.open()
  await db.close()
  const cause = await openError(t, new SophiaLevel(location, { errorIfExists: true }))
  t.is(cause.code, 'SOPHIA_DATABASE_EXISTS')
  t.ok(/exists/.test(cause.message), cause.message)
})

test('a location that is a file, or lies below one, is an I/O error', async function (t) {
  const file = tempLocation()
  fs.writeFileSync(file, 'not a directory')
  let cause = await openError(t, new SophiaLevel(file))
  t.is(cause.code, 'LEVEL_IO_ERROR')
  t.ok(/is not a directory/.test(cause.message), cause.message)
  cause = await openError(t, new SophiaLevel(path.join(file, 'below')))
  t.is(cause.code, 'LEVEL_IO_ERROR')
  t.is(fs.readFileSync(file, 'utf8'), 'not a directory', 'the file is untouched')
})

test('a damaged write-ahead log is LEVEL_CORRUPTION, and SophiaLevel.repair() salvages it', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location)
  await db.open()
  for (let i = 0; i < 10; i++) await db.put('key' + i, 'value' + i)
  await db.close()
  const logs = fs.readdirSync(path.join(location, 'log')).filter((name) => name.endsWith('.log'))
  t.ok(logs.length > 0, 'has a log file')
  const log = path.join(location, 'log', logs.sort().pop())
  // Flip a byte inside the sixth record: damage followed by valid records.
  const bytes = fs.readFileSync(log)
  const record = (bytes.length - 11) / 10
  bytes[11 + Math.floor(5.5 * record)] ^= 0xff
  fs.writeFileSync(log, bytes)
  const cause = await openError(t, db)
  t.is(cause.code, 'LEVEL_CORRUPTION')
  t.ok(/damaged/.test(cause.message), cause.message)
  t.is(db.status, 'closed', 'the instance is closed and can be retried')
  const salvage = await SophiaLevel.repair(location)
  t.ok(salvage.droppedBytes > 0 && salvage.savedTo.length === 1, `dropped ${salvage.droppedBytes} bytes, kept in ${salvage.savedTo[0]}`)
  await db.open()
  t.same(await db.keys().all(), ['key0', 'key1', 'key2', 'key3', 'key4'], 'the writes before the damage are back')
  await db.close()
  t.ok(fs.existsSync(salvage.savedTo[0]), 'what was dropped is kept')
})

test('operations on a closed database are LEVEL_DATABASE_NOT_OPEN', async function (t) {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  await db.close()
  for (const [name, call] of [
    ['get', () => db.get('a')], ['put', () => db.put('a', 'b')], ['del', () => db.del('a')],
    ['batch', () => db.batch([{ type: 'put', key: 'a', value: 'b' }])], ['getMany', () => db.getMany(['a'])],
    ['has', () => db.has('a')], ['clear', () => db.clear()], ['iterator', () => db.iterator().next()]
  ]) {
    try {
      await call()
      t.fail(`${name} should fail`)
    } catch (err) {
      t.is(err.code, 'LEVEL_DATABASE_NOT_OPEN', name)
    }
  }
  t.throws(() => db.getSync('a'), /not open/, 'getSync')
})
