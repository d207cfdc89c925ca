'use strict'

// Each open database runs `threads` Sophia background threads (default 1), so
// that hundreds of open databases stay cheap; closing stops them.

const test = require('tape')
const fs = require('fs')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const threadCount = () => fs.readdirSync('/proc/self/task').length

// Opening uses libuv's thread pool, which starts its own threads once.
async function warmUp () {
  const db = new SophiaLevel(tempLocation())
  await db.open()
  await db.close()
}

test('threads: one background thread per open database by default', { skip: !fs.existsSync('/proc/self/task') }, async function (t) {
  await warmUp()
  const before = threadCount()
  const dbs = Array.from({ length: 40 }, () => new SophiaLevel(tempLocation()))
  await Promise.all(dbs.map((db) => db.open()))
  const open = threadCount()
  t.is(open - before, 40, '40 open databases add 40 threads')
  await Promise.all(dbs.map((db) => db.close()))
  t.is(threadCount(), before, 'closing stops them')
})

test('threads: the option sets the count', { skip: !fs.existsSync('/proc/self/task') }, async function (t) {
  await warmUp()
  const before = threadCount()
  const db = new SophiaLevel(tempLocation(), { threads: 3 })
  await db.open()
  t.is(threadCount() - before, 3)
  await db.close()
})

test('threads: bad values are refused by the constructor', function (t) {
  t.throws(() => new SophiaLevel(tempLocation(), { threads: '2' }), TypeError, 'a string')
  t.throws(() => new SophiaLevel(tempLocation(), { threads: 0 }), RangeError, 'zero')
  t.throws(() => new SophiaLevel(tempLocation(), { threads: 1.5 }), RangeError, 'a fraction')
  t.throws(() => new SophiaLevel(tempLocation(), { threads: 65 }), /from 1 to 64/, 'too many')
  t.end()
})
