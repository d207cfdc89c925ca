'use strict'

// Found by the fuzzer (seeds 4, 9, 17 and 18 of node test/fuzz/run.js when it
// still drew compression: 'lz4'; there with patches/0002 too). sophia-level
// refuses 'lz4' since commit 61775fc: this script then says so, exit code 0.
//
// With compression: 'lz4', a value read back from a node file is corrupted:
// runs of zero (or stray) bytes replace parts of it, the length is right and
// no error is reported. cacheSize: 0 makes Sophia write node files at once
// (cacheSize: 16384 and a single flush past it does the same); with the
// default cache (4 GiB) it happens once that much was written. 'none' and
// 'zstd' read back intact. Values with repeats (which LZ4 encodes as
// matches) are hit: 'abc' x 20 reads back as 20 right bytes, then zeros; a
// run of one byte ('a' x 60) and values without repeats come back intact.
// get() and iterators alike; the binding only passes the option to Sophia,
// so the fault is likely in Sophia's lz4 filter (ss_lz4filter.c, LZ4F).
//
// node test/fuzz/repro/lz4-compression-corrupts-values.js   (exit code 1: corrupted)

const fs = require('fs')
const os = require('os')
const path = require('path')
const { SophiaLevel } = require('../../..')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function roundTrip (compression, value) {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-repro-'))
  let db
  try {
    db = new SophiaLevel(location, { valueEncoding: 'buffer', compression, cacheSize: 0 })
  } catch (err) {
    fs.rmSync(location, { recursive: true, force: true })
    if (err instanceof RangeError) return err
    throw err
  }
  await db.open()
  await db.put('k', value)
  await sleep(200) // Sophia's background thread writes the node file
  const read = await db.get('k')
  await db.close()
  fs.rmSync(location, { recursive: true, force: true })
  return read
}

async function main () {
  let corrupted = false
  for (const compression of ['none', 'zstd', 'lz4']) {
    for (const pattern of ['a', 'abc', 'abcdefg', '0123456789']) {
      const value = Buffer.from(pattern.repeat(Math.ceil(60 / pattern.length)))
      const read = await roundTrip(compression, value)
      if (read instanceof RangeError) {
        console.log(`${compression.padEnd(4)} refused: ${read.message}`)
        break
      }
      const ok = read.equals(value)
      corrupted ||= !ok
      console.log(`${compression.padEnd(4)} ${JSON.stringify(pattern).padEnd(12)} ${ok ? 'intact' : 'CORRUPTED'}`)
      if (!ok) {
        console.log(`  put ${value.toString('hex')}`)
        console.log(`  get ${read.toString('hex')}`)
      }
    }
  }
  process.exitCode = corrupted ? 1 : 0
}

main()
