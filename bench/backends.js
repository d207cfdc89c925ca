'use strict'

// The three databases under test, all with buffer keys and values, plus the
// temporary-directory helpers they need.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { ClassicLevel } = require('classic-level')
const { MemoryLevel } = require('memory-level')
const { SophiaLevel } = require('..')

const DB_OPTIONS = Object.freeze({ keyEncoding: 'buffer', valueEncoding: 'buffer' })

const BACKENDS = [
  { name: 'sophia-level', persistent: true, create: (dir) => new SophiaLevel(dir, DB_OPTIONS) },
  { name: 'classic-level', persistent: true, create: (dir) => new ClassicLevel(dir, DB_OPTIONS) },
  { name: 'memory-level', persistent: false, create: () => new MemoryLevel(DB_OPTIONS) }
]

function backendByName (name) {
  const backend = BACKENDS.find((b) => b.name === name)
  if (backend === undefined) throw new Error(`Unknown backend: ${name}`)
  return backend
}

/** Creates and opens a database of `backend` at `dir` (ignored in memory). */
async function openDb (backend, dir) {
  const db = backend.create(dir)
  await db.open()
  return db
}

/** Closes a database and removes its directory. */
async function closeDb (db, dir) {
  await db.close()
  if (dir) removeDir(dir)
}

const tempRoots = new Set()

/** A fresh directory under os.tmpdir(), removed on exit if still there. */
function makeTempRoot (prefix) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  tempRoots.add(root)
  return root
}

function removeDir (dir) {
  fs.rmSync(dir, { recursive: true, force: true })
  tempRoots.delete(dir)
}

function removeTempRoots () {
  for (const root of tempRoots) fs.rmSync(root, { recursive: true, force: true })
  tempRoots.clear()
}

process.once('exit', removeTempRoots)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    removeTempRoots()
    process.exit(130)
  })
}

/** Sum of the sizes of the files under `dir`, in bytes. */
function dirSize (dir) {
  let total = 0
  let entries
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch (err) {
    if (err.code === 'ENOENT') return 0
    throw err
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      total += dirSize(full)
    } else if (entry.isFile()) {
      try {
        total += fs.statSync(full).size
      } catch (err) {
        if (err.code !== 'ENOENT') throw err // a file removed by compaction meanwhile
      }
    }
  }
  return total
}

module.exports = {
  BACKENDS,
  DB_OPTIONS,
  backendByName,
  openDb,
  closeDb,
  makeTempRoot,
  removeDir,
  dirSize
}
