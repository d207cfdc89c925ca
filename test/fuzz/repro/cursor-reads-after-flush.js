'use strict'

// Found by the fuzzer (runs with storage options; e.g. seed 37 of
// node test/fuzz/run.js shrinks to: put, snapshot, wait, getMany). Fixed by
// patches/0002-cursor-cache-continuation.patch (commit 73654f3); this script
// shows it on builds without that patch and passes with it.
//
// Once data is in node files (cacheSize: 0 writes them at once), a Sophia
// cursor read that does not continue from the cursor's previous result went
// through a stale per-node read cache:
// - reads through a snapshot returned undefined after the first one (get,
//   getMany with a repeated key, a second iterator on the same snapshot);
// - iterator.seek() to an earlier key (and, with more data, to a later one)
//   yielded nothing.
// Data still in memory read right, which is why runs without storage
// options never showed it.
//
// node test/fuzz/repro/cursor-reads-after-flush.js   (exit code 1: wrong reads)

const fs = require('fs')
const os = require('os')
const path = require('path')
const { SophiaLevel } = require('../../..')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const keys = Array.from({ length: 20 }, (_, i) => 'k' + String(i).padStart(2, '0'))

async function main () {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-repro-'))
  const db = new SophiaLevel(location, { cacheSize: 0 })
  await db.open()
  await db.batch(keys.map((key) => ({ type: 'put', key, value: 'v' + key })))
  const snapshot = db.snapshot()
  await sleep(200) // Sophia's background thread writes the node file

  const checks = []
  const check = (what, actual, expected) => checks.push({ what, actual, expected })
  check('getMany([k01, k01, k07], { snapshot })', await db.getMany(['k01', 'k01', 'k07'], { snapshot }), ['vk01', 'vk01', 'vk07'])
  check('get(k19, { snapshot })', await db.get('k19', { snapshot }), 'vk19')
  check('keys({ snapshot }).all().length', (await db.keys({ snapshot }).all()).length, keys.length)
  const iterator = db.keys()
  await iterator.next()
  await iterator.next()
  iterator.seek('k10')
  check('next() after seek(k10)', await iterator.next(), 'k10')
  iterator.seek('k03')
  check('next() after seek(k03), back', await iterator.next(), 'k03')
  await iterator.close()
  await snapshot.close()
  await db.close()
  fs.rmSync(location, { recursive: true, force: true })

  let wrong = 0
  for (const { what, actual, expected } of checks) {
    const ok = JSON.stringify(actual) === JSON.stringify(expected)
    if (!ok) wrong++
    console.log(`${ok ? 'ok   ' : 'WRONG'} ${what}: ${JSON.stringify(actual)}${ok ? '' : ` (expected ${JSON.stringify(expected)})`}`)
  }
  process.exitCode = wrong > 0 ? 1 : 0
}

main()
