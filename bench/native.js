'use strict'

// Builds and runs bench/native/baseline.c: the same put, batch, get, getMany,
// scan and range workloads straight against Sophia's C API, to show what the
// binding costs on top.

const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')

const ROOT = path.join(__dirname, '..')
const SOURCE = path.join('bench', 'native', 'baseline.c')
const SOPHIA_C = path.join('deps', 'sophia', 'sophia.c')
const SOPHIA_H = path.join('deps', 'sophia', 'sophia.h')
const BINARY = path.join('bench', 'build', 'baseline')

function mtime (file) {
  try {
    return fs.statSync(path.join(ROOT, file)).mtimeMs
  } catch (err) {
    if (err.code === 'ENOENT') return null
    throw err
  }
}

/** Compiles the baseline if it is missing or older than its sources. */
function ensureBaseline (log = () => {}) {
  for (const file of [SOURCE, SOPHIA_C, SOPHIA_H]) {
    if (mtime(file) === null) throw new Error(`${file} not found (deps/sophia is fetched by \`npm run build\`)`)
  }
  const built = mtime(BINARY)
  const newest = Math.max(mtime(SOURCE), mtime(SOPHIA_C), mtime(SOPHIA_H))
  if (built !== null && built >= newest) return path.join(ROOT, BINARY)
  const args = ['-O2', '-std=gnu99', '-pthread', '-w', '-I', path.join('deps', 'sophia'), SOURCE, SOPHIA_C, '-o', BINARY]
  log(`compiling the native baseline: cc ${args.join(' ')}`)
  fs.mkdirSync(path.join(ROOT, 'bench', 'build'), { recursive: true })
  execFileSync(process.env.CC || 'cc', args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
  return path.join(ROOT, BINARY)
}

/**
 * Runs the baseline over `n` keys in `dir` (whose parent must exist) and
 * returns { n, workloads: { putSeq, putRandom, getRandom, batchSeq,
 * batchRandom, getMany, scan, range, reverseRange } }, each
 * { ops, ms, rate } (plus batches, calls or entries).
 */
function runBaseline ({ binary, dir, n, scanPasses, seed }) {
  const stdout = execFileSync(binary, [dir, String(n), String(scanPasses), String(seed)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1024 * 1024
  })
  return JSON.parse(stdout)
}

module.exports = { ensureBaseline, runBaseline }
