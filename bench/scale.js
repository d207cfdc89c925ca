'use strict'

// --scale: put sequential, get random and a full scan at 1M and 10M keys on
// sophia-level and classic-level, with resident memory and on-disk size.
// Each (backend, size) runs in its own child process, so that one run's heap
// and allocator state do not inflate the next one's RSS. Progress goes to
// stderr. Bounded: gets are a sample of at most MAX_GETS keys, each read
// workload stops at READ_BUDGET_MS (reporting the rate so far), each child
// is killed after CHILD_TIMEOUT_MS, and a size is skipped when the temporary
// directory lacks the free space for it.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { fork } = require('child_process')
const { performance } = require('perf_hooks')
const { backendByName, openDb, makeTempRoot, removeDir, dirSize } = require('./backends')
const { Dataset, KEY_SIZE, VALUE_SIZE } = require('./dataset')
const report = require('./report')
const { YIELD_MASK, NEXTV_SIZE, yieldToLoop, check, round } = require('./workloads')

const DEFAULT_SIZES = [1000000, 10000000]
const SCALE_BACKENDS = ['sophia-level', 'classic-level']
const MAX_GETS = 1000000
const READ_BUDGET_MS = 120 * 1000
const CHILD_TIMEOUT_MS = 60 * 60 * 1000
const PROGRESS_MS = 5000
// Free space wanted in os.tmpdir() per size, as a multiple of the raw data.
const DISK_HEADROOM = 4

// ---------------------------------------------------------------- parent --

async function runScale ({ sizes = DEFAULT_SIZES, seed, log }) {
  const machine = report.machine()
  console.log(report.machineLine(machine))
  console.log(`Scale run: sizes ${sizes.map((n) => n.toLocaleString('en-US')).join(', ')}; ` +
    `${KEY_SIZE}-byte keys, ${VALUE_SIZE}-byte values; gets sample at most ${MAX_GETS.toLocaleString('en-US')} keys`)
  const runs = []
  for (const n of sizes) {
    const needed = n * (KEY_SIZE + VALUE_SIZE) * DISK_HEADROOM
    const free = freeBytes(os.tmpdir())
    if (free !== null && free < needed) {
      log(`[scale] skipping ${n} keys: ${report.formatBytes(free)} free in ${os.tmpdir()}, want ${report.formatBytes(needed)}`)
      runs.push({ n, skipped: `not enough free space (${report.formatBytes(free)})` })
      continue
    }
    for (const backend of SCALE_BACKENDS) {
      log(`[scale] ${backend}, ${n.toLocaleString('en-US')} keys`)
      try {
        runs.push(await runChild(backend, n, seed))
      } catch (err) {
        log(`[scale] ${backend}, ${n} keys failed: ${err.message}`)
        runs.push({ backend, n, error: err.message })
      }
    }
  }

  console.log()
  console.log(scaleTable(sizes, runs))
  console.log()
  console.log('RSS is process.memoryUsage().rss right after the load, in a fresh process per row; disk is the sum of')
  console.log('file sizes in the database directory. sophia/classic: > 1 is faster for rates, < 1 is smaller for RSS/disk.')
  console.log('One run on a shared, noisy machine: compare ratios, not absolutes.')

  const file = report.writeJson('scale-last-run.json', {
    date: new Date().toISOString(),
    machine,
    options: { sizes, keySize: KEY_SIZE, valueSize: VALUE_SIZE, seed, maxGets: MAX_GETS, readBudgetMs: READ_BUDGET_MS },
    runs
  })
  console.log()
  console.log(`Results written to ${path.relative(process.cwd(), file) || file}`)
}

function freeBytes (dir) {
  if (typeof fs.statfsSync !== 'function') return null
  const stats = fs.statfsSync(dir)
  return stats.bavail * stats.bsize
}

function runChild (backend, n, seed) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', backend, String(n), String(seed)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    let result = null
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      reject(new Error(`timed out after ${CHILD_TIMEOUT_MS / 60000} minutes`))
    }, CHILD_TIMEOUT_MS)
    child.on('message', (message) => { result = message })
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (result !== null && code === 0) resolve(result)
      else reject(new Error(`child exited with ${signal ?? `code ${code}`}`))
    })
  })
}

function scaleTable (sizes, runs) {
  const header = ['keys', 'backend', 'put seq (puts/s)', 'get random (gets/s)', 'full scan (entries/s)',
    'RSS after load', 'disk after load', 'disk after close']
  const rows = []
  for (const n of sizes) {
    const keys = n.toLocaleString('en-US')
    const skipped = runs.find((r) => r.n === n && r.skipped !== undefined)
    if (skipped !== undefined) {
      rows.push([keys, `skipped: ${skipped.skipped}`, '', '', '', '', '', ''])
      continue
    }
    const byBackend = {}
    for (const backend of SCALE_BACKENDS) {
      const run = runs.find((r) => r.n === n && r.backend === backend)
      byBackend[backend] = run
      if (run === undefined || run.error !== undefined) {
        rows.push([keys, backend, `failed: ${run?.error ?? 'not run'}`, '', '', '', '', ''])
        continue
      }
      const w = run.workloads
      const partial = (r) => report.formatRate(r.rate) + (r.complete ? '' : '*')
      rows.push([keys, backend, report.formatRate(w.putSeq.rate), partial(w.getRandom), partial(w.scan),
        report.formatBytes(run.rssAfterLoad), report.formatBytes(run.diskAfterLoad), report.formatBytes(run.diskAfterClose)])
    }
    const s = byBackend['sophia-level']
    const c = byBackend['classic-level']
    if (s?.workloads !== undefined && c?.workloads !== undefined) {
      const rate = (run, id) => run.workloads[id].rate
      rows.push([keys, 'sophia/classic',
        report.formatRatio(rate(s, 'putSeq'), rate(c, 'putSeq')),
        report.formatRatio(rate(s, 'getRandom'), rate(c, 'getRandom')),
        report.formatRatio(rate(s, 'scan'), rate(c, 'scan')),
        report.formatRatio(s.rssAfterLoad, c.rssAfterLoad),
        report.formatRatio(s.diskAfterLoad, c.diskAfterLoad),
        report.formatRatio(s.diskAfterClose, c.diskAfterClose)])
    }
  }
  const partialNote = runs.some((r) => r.workloads !== undefined &&
    (!r.workloads.getRandom.complete || !r.workloads.scan.complete))
  return report.table(header, rows, 2) + (partialNote ? `\n* stopped at the ${READ_BUDGET_MS / 1000} s budget; rate of the part done` : '')
}

// ----------------------------------------------------------------- child --

async function child (backendName, n, seed) {
  const backend = backendByName(backendName)
  const tag = `[scale] ${backendName} ${n.toLocaleString('en-US')}`
  const progress = (message) => process.stderr.write(`${tag}: ${message}\n`)
  const dataset = new Dataset(n, seed, { materialize: false })
  const root = makeTempRoot('sophia-level-scale-')
  const dir = path.join(root, backendName)
  const rssBeforeOpen = process.memoryUsage().rss

  const db = await openDb(backend, dir)
  const putSeq = await timed('put', n, Infinity, progress, async (i) => {
    await db.put(dataset.key(i), dataset.value(i))
    return 1
  })
  const rssAfterLoad = process.memoryUsage().rss
  const diskAfterLoad = dirSize(dir)
  progress(`loaded: RSS ${report.formatBytes(rssAfterLoad)}, disk ${report.formatBytes(diskAfterLoad)}`)

  const gets = Math.min(n, MAX_GETS)
  const indices = dataset.randomIndices(gets, 'scaleGets')
  const getRandom = await timed('get', gets, READ_BUDGET_MS, progress, async (i) => {
    const value = await db.get(dataset.key(indices[i]))
    check(value !== undefined && value.length === VALUE_SIZE, `get of key #${indices[i]}`)
    return 1
  })

  const iterator = db.iterator()
  const scan = await timed('scan', n, READ_BUDGET_MS, progress, async () => {
    const entries = await iterator.nextv(NEXTV_SIZE)
    return entries.length
  })
  await iterator.close()
  if (scan.complete) check(scan.ops === n, `scan saw ${scan.ops} entries, expected ${n}`)
  const rssAfterReads = process.memoryUsage().rss

  await db.close()
  const diskAfterClose = dirSize(dir)
  removeDir(root)
  progress(`done: closed at ${report.formatBytes(diskAfterClose)} on disk`)

  return {
    backend: backendName,
    n,
    rssBeforeOpen,
    rssAfterLoad,
    rssAfterReads,
    diskAfterLoad,
    diskAfterClose,
    workloads: { putSeq, getRandom, scan }
  }
}

/**
 * Calls step(i) until `total` units are done (step returns how many it did;
 * 0 ends early) or `budgetMs` passes; yields to the event loop about every
 * 1000 units and reports progress every PROGRESS_MS.
 */
async function timed (name, total, budgetMs, progress, step) {
  const start = performance.now()
  let nextReport = start + PROGRESS_MS
  let done = 0
  let calls = 0
  let sinceYield = 0
  while (done < total) {
    const units = await step(calls++)
    if (units === 0) break
    done += units
    sinceYield += units
    if (sinceYield > YIELD_MASK) {
      sinceYield = 0
      await yieldToLoop()
      const now = performance.now()
      if (now - start > budgetMs) break
      if (now >= nextReport) {
        nextReport = now + PROGRESS_MS
        const rate = done / ((now - start) / 1000)
        progress(`${name} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ` +
          `(${Math.floor(done / total * 100)}%), ${report.formatRate(rate)}/s`)
      }
    }
  }
  const ms = performance.now() - start
  return { ops: done, complete: done >= total, ms: round(ms, 3), rate: round(done / (ms / 1000), 1) }
}

if (require.main === module && process.argv[2] === '--child') {
  const [, , , backend, n, seed] = process.argv
  child(backend, Number(n), Number(seed)).then((result) => {
    process.send(result, () => process.exit(0))
  }, (err) => {
    console.error(err)
    process.exit(1)
  })
}

module.exports = { runScale }
