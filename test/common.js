'use strict'

const fs = require('fs')
const os = require('os')
const path = require('path')
const test = require('tape')
const suite = require('abstract-level/test')
const { SophiaLevel } = require('..')

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-test-'))
let counter = 0

// A fresh, not yet existing directory.
function tempLocation () {
  return path.join(root, String(counter++))
}

test.onFinish(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

module.exports = suite.common({
  test,
  factory (options) {
    return new SophiaLevel(tempLocation(), options)
  }
})

// What a promise settles to, for comparing outcomes: 'ok', or the error's
// code (its name if it has none, e.g. 'TypeError').
async function outcomeOf (promise) {
  try {
    await promise
    return 'ok'
  } catch (err) {
    return err.code || err.name
  }
}

// A generator of numbers in [0, 1) from `seed`, so that a failure can be
// replayed.
function seededRandom (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) | 0
    let x = Math.imul(a ^ (a >>> 15), a | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

// Opens a SophiaLevel at a fresh location, closed when the test ends.
async function openTempDb (t, options) {
  const db = new SophiaLevel(tempLocation(), options)
  await db.open()
  t.teardown(() => db.close())
  return db
}

module.exports.tempLocation = tempLocation
module.exports.openTempDb = openTempDb
module.exports.seededRandom = seededRandom
module.exports.outcomeOf = outcomeOf
