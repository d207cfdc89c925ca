'use strict'

// The addon in worker threads: loads, works, and a worker terminated with an
// open database releases it.

const test = require('tape')
const path = require('path')
const { once } = require('events')
const { Worker } = require('worker_threads')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const fixture = path.join(__dirname, 'fixtures', 'worker.js')

test('several workers open, use and close their own databases at once', async function (t) {
  const workers = Array.from({ length: 6 }, () => new Worker(fixture, { workerData: { location: tempLocation(), mode: 'roundtrip', rounds: 10 } }))
  const exits = Promise.all(workers.map((worker) => once(worker, 'exit')))
  const messages = await Promise.all(workers.map((worker) => once(worker, 'message').then(([message]) => message)))
  t.same(messages, workers.map(() => 'done'))
  t.same((await exits).map(([code]) => code), workers.map(() => 0), 'all exit with code 0')
})

test('terminating a worker with an open database, iterator and snapshot closes them', async function (t) {
  const location = tempLocation()
  for (let i = 0; i < 3; i++) {
    const worker = new Worker(fixture, { workerData: { location, mode: 'hold' } })
    const [message] = await once(worker, 'message')
    t.is(message, 'holding')
    await worker.terminate()
  }
  const db = new SophiaLevel(location)
  await db.open()
  t.same(await db.iterator().all(), [['a', '1'], ['b', '2']], 'the lock was released and the data is there')
  await db.close()
})

test('terminating workers while they open and close databases', async function (t) {
  for (let i = 0; i < 10; i++) {
    const worker = new Worker(fixture, { workerData: { location: tempLocation(), mode: 'roundtrip', rounds: 1000 } })
    await new Promise((resolve) => setTimeout(resolve, 20 + i * 7))
    await worker.terminate()
  }
  t.pass('no crash')
})
