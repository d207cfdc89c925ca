'use strict'

// Found by the fuzzer (tolerated there as a known difference, reported with
// --strict: node test/fuzz/run.js --seed=1 --steps=317 --strict, which
// --shrink brings down to 3 operations: a snapshot, its close(), an iterator).
//
// db.iterator({ snapshot }) with a snapshot already closed: classic-level and
// memory-level create the iterator and reject its first read with
// LEVEL_SNAPSHOT_NOT_OPEN; sophia-level threw LEVEL_SNAPSHOT_NOT_OPEN from
// db.iterator() itself (synchronously), until iterator.ts made it behave the
// same. Same for keys() and values().
//
// node test/fuzz/repro/iterator-closed-snapshot.js   (exit code 1 if they differ)

const fs = require('fs')
const os = require('os')
const path = require('path')
const { SophiaLevel } = require('../../..')
const { MemoryLevel } = require('memory-level')

async function behaviour (db) {
  await db.open()
  await db.put('a', '1')
  const snapshot = db.snapshot()
  await snapshot.close()
  let iterator
  try {
    iterator = db.keys({ snapshot })
  } catch (err) {
    await db.close()
    return `db.keys() threw ${err.code}`
  }
  try {
    await iterator.next()
    return 'next() resolved'
  } catch (err) {
    return `db.keys() returned an iterator; next() rejected with ${err.code}`
  } finally {
    await db.close()
  }
}

async function main () {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-repro-'))
  const expected = await behaviour(new MemoryLevel())
  const actual = await behaviour(new SophiaLevel(location))
  fs.rmSync(location, { recursive: true, force: true })
  console.log(`memory-level (and classic-level): ${expected}`)
  console.log(`sophia-level:                     ${actual}`)
  process.exitCode = expected === actual ? 0 : 1
}

main()
