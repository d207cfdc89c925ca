'use strict'

// Recursion until the stack overflows, with the database called at every
// level, as classic-level tests it: a child process with --stack-size=256
// creates iterators (or makes native calls) recursively until "RangeError:
// Maximum call stack size exceeded", which it must be able to catch, then
// reads (the iterators too), closes the database and exits with code 0.
//

const test = require('tape')
const path = require('path')
const { fork } = require('child_process')
const { tempLocation } = require('./common')

const fixture = path.join(__dirname, 'fixtures', 'stack-blower.js')
const CHILD_LIMIT_MS = 30000

function blow (mode) {
  return new Promise((resolve) => {
    const child = fork(fixture, [mode, tempLocation()], {
      execArgv: ['--stack-size=256'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc']
    })
    let message = null
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.on('message', (m) => {
      message = m
      child.disconnect()
    })
    // A child that never finishes is killed: the test then fails, not hangs.
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, message, stderr })
    })
  })
}

const modes = {
  iterator: 'creating iterators',
  'iterator-then-next': 'creating iterators, all read once the stack has unwound',
  getSync: 'getSync()',
  put: 'put()',
  batch: 'batch()',
  snapshot: 'snapshot()',
  transaction: 'transaction()',
  getProperty: 'getProperty()',
  'getSync-key-too-large': 'getSync() failing with a coded error',
  'put-key-too-large': 'put() failing with a coded error',
  'iterator-next': 'creating iterators and reading each at once'
}

for (const [mode, what] of Object.entries(modes)) {
  test(`recursion until stack overflow, ${what} at every level: a catchable RangeError, and the process exits cleanly`, async function (t) {
    const { code, signal, message, stderr } = await blow(mode)
    if (code !== 0) t.comment(stderr.split('\n').slice(0, 12).join('\n'))
    t.is(signal, null, 'not killed by a signal')
    t.is(code, 0, 'exit code 0')
    t.ok(message !== null && message.rangeError, `caught a RangeError: ${message && (message.message || message.failed)}`)
    t.ok(message !== null && message.depth > 0, `at depth ${message && message.depth}`)
    t.is(message && message.readAfterwards, '1', 'the database still reads afterwards')
    t.is(message && message.closed, 'closed', 'and closes')
    if (mode === 'iterator-then-next') {
      t.ok(message && message.iterators > 0 && message.iteratorsRead === message.iterators, `each of the ${message && message.iterators} iterators reads`)
    }
  })
}
