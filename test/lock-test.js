'use strict'

// Sophia has no lock of its own: a second opener, in this process or in
// another, is refused with LEVEL_LOCKED as the cause.

const test = require('tape')
const path = require('path')
const { spawn } = require('child_process')
const { once } = require('events')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const fixture = path.join(__dirname, 'fixtures', 'hold-open.js')

async function expectLocked (t, db) {
  try {
    await db.open()
    t.fail('should not open')
  } catch (err) {
    t.is(err.code, 'LEVEL_DATABASE_NOT_OPEN')
    t.is(err.cause && err.cause.code, 'LEVEL_LOCKED', 'cause is LEVEL_LOCKED')
  }
}

async function firstLine (child) {
  let output = ''
  for await (const chunk of child.stdout) {
    output += chunk
    if (output.includes('\n')) return output.trim()
  }
  return output.trim()
}

test('a second instance in the same process is refused until the first closes', async function (t) {
  const location = tempLocation()
  const first = new SophiaLevel(location)
  await first.open()
  await first.put('a', '1')
  const second = new SophiaLevel(location)
  await expectLocked(t, second)
  t.is(await first.get('a'), '1', 'the first is unaffected')
  await first.close()
  await second.open()
  t.is(await second.get('a'), '1', 'opens once the first has closed')
  await second.close()
})

test('another process is refused while this one has it open, and vice versa', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location)
  await db.open()
  const child = spawn(process.execPath, [fixture, location], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.is(await firstLine(child), 'LEVEL_DATABASE_NOT_OPEN LEVEL_LOCKED', 'the other process is refused')
  await once(child, 'exit')
  await db.close()

  const holder = spawn(process.execPath, [fixture, location], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.is(await firstLine(holder), 'open', 'the other process opens it')
  await expectLocked(t, new SophiaLevel(location))
  holder.stdin.end()
  await once(holder, 'exit')
  await db.open()
  t.pass('opens once the other process has closed it')
  await db.close()
})
