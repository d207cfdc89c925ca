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
// Sophia's heap, which the addon's build gives Sophia (binding.gyp): the
// baseline runs on the same Sophia build, so with it too.
const SOPHIA_MEMORY_C = path.join('binding', 'sophia_memory.c')
const BINDING_GYP = 'binding.gyp'
const BINARY = path.join('bench', 'build', 'baseline')

function mtime (file) {
  try {
    return fs.statSync(path.join(ROOT, file)).mtimeMs
  } catch (err) {
    if (err.code === 'ENOENT') return null
    throw err
  }
}

/** The -D flags binding.gyp compiles Sophia with. */
function sophiaDefines () {
  const gyp = JSON.parse(fs.readFileSync(path.join(ROOT, BINDING_GYP), 'utf8'))
  const sophia = gyp.targets.find((target) => target.target_name === 'sophia')
  return (sophia.defines || []).map((define) => `-D${define}`)
}

/** Compiles the baseline if it is missing or older than its sources. */
function ensureBaseline (log = () => {}) {
  const inputs = [SOURCE, SOPHIA_C, SOPHIA_H, SOPHIA_MEMORY_C, BINDING_GYP]
  for (const file of inputs) {
    if (mtime(file) === null) throw new Error(`${file} not found (deps/sophia is fetched by \`npm run build\`)`)
  }
  const built = mtime(BINARY)
  const newest = Math.max(...inputs.map(mtime))
  if (built !== null && built >= newest) return path.join(ROOT, BINARY)
  // The heap's own calls to malloc and free are the C library's: it is
  // compiled apart, without Sophia's renaming of them, which the baseline
  // shares (it frees strings that Sophia allocated).
  const memoryObject = path.join('bench', 'build', 'sophia_memory.o')
  const steps = [
    ['-O2', '-std=gnu99', '-pthread', '-c', SOPHIA_MEMORY_C, '-o', memoryObject],
    ['-O2', '-std=gnu99', '-pthread', '-w', ...sophiaDefines(), '-I', path.join('deps', 'sophia'),
      SOURCE, SOPHIA_C, memoryObject, '-o', BINARY]
  ]
  fs.mkdirSync(path.join(ROOT, 'bench', 'build'), { recursive: true })
  for (const args of steps) {
    log(`compiling the native baseline: cc ${args.join(' ')}`)
    execFileSync(process.env.CC || 'cc', args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
  }
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
