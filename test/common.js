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

module.exports.tempLocation = tempLocation
module.exports.outcomeOf = outcomeOf
