'use strict'

// sophia-level benchmark: the same workloads, data and order on sophia-level,
// classic-level and memory-level in one run, plus a native C baseline that
// runs Sophia without Node.js. See bench/README.md.
//
//   node bench/index.js            N = 200,000, 3 rounds
//   node bench/index.js --quick    N = 20,000, 1 round
//   node bench/index.js --n=50000 --rounds=5
//   node bench/index.js --scale [--scale-sizes=1000000,10000000]
//   node bench/index.js --no-native-calls   without timing each native call

const path = require('path')
const { parseArgs } = require('util')
const { BACKENDS, makeTempRoot, removeDir } = require('./backends')
const { Dataset, KEY_SIZE, VALUE_SIZE } = require('./dataset')
const { ensureBaseline, runBaseline } = require('./native')
const { NO_STORAGE } = require('./no-storage')
const report = require('./report')
const { NativeCallTimer } = require('./native-calls')
const { StallMonitor } = require('./stall')
const { WORKLOADS, SCAN_PASSES, formatRate, runSuite } = require('./workloads')

const DEFAULT_N = 200000
const QUICK_N = 20000
const WARMUP_N = 2000
const HARNESS_RUNS = 5
const DEFAULT_ROUNDS = 3
const SEED = 20240601

const log = (message) => process.stderr.write(message + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function parseOptions (argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      'scale-sizes': { type: 'string' },
      n: { type: 'string' },
      rounds: { type: 'string' },
      // Timing every native call (native-calls.js) is on by default: it adds
      // about 0.1-0.2 µs per call (two performance.now() and the wrapper),
      // which cost sophia-level's put and get rows (one native call per
      // operation) about 5% in paired runs at N = 200,000, below a single
      // run's noise, and nothing measurable on the rows that batch their
      // calls; --no-native-calls for untimed rates.
      // util.parseArgs of Node 20 has no --no-… negation, hence two flags.
      'native-calls': { type: 'boolean', default: false },
      'no-native-calls': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  const n = values.n !== undefined ? positiveInteger(values.n, '--n') : values.quick ? QUICK_N : DEFAULT_N
  const scaleSizes = values['scale-sizes'] !== undefined
    ? values['scale-sizes'].split(',').map((s) => positiveInteger(s.trim(), '--scale-sizes'))
    : undefined
  if (values['native-calls'] && values['no-native-calls']) {
    throw new TypeError('--native-calls and --no-native-calls cannot be combined')
  }
  const nativeCalls = !values['no-native-calls']
  const rounds = values.rounds !== undefined ? positiveInteger(values.rounds, '--rounds') : values.quick ? 1 : DEFAULT_ROUNDS
  return { quick: values.quick, scale: values.scale, scaleSizes, n, rounds, nativeCalls, help: values.help }
}

function positiveInteger (text, flag) {
  const value = Number(text.replace(/_/g, ''))
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new RangeError(`${flag} expects positive integers, got '${text}'`)
  }
  return value
}

/**
 * Warnings when the native baseline did not read what sophia-level read
 * (the range workloads count their entries on both sides).
 */
function nativeMismatches (results, native) {
  const lines = []
  for (const id of ['range', 'reverseRange']) {
    const js = results['sophia-level']?.[id]?.entries
    const c = native?.workloads?.[id]?.entries
    if (js !== undefined && c !== undefined && js !== c) {
      lines.push(`warning: ${id}: native C read ${c} entries, sophia-level ${js}`)
    }
  }
  return lines
}

/**
 * The point workloads on the backend that stores nothing, HARNESS_RUNS times:
 * the best rate of each, so that a garbage collection or a noisy neighbour
 * in one run does not lower the floors built on it.
 */
async function timeHarness (dataset, warmup, root) {
  const workloads = WORKLOADS.filter((w) => w.noStorage)
  await runSuite({ backend: NO_STORAGE, dataset: warmup, root, workloads })
  let best = null
  for (let run = 0; run < HARNESS_RUNS; run++) {
    const results = await runSuite({ backend: NO_STORAGE, dataset, root, workloads })
    if (best === null) best = results
    for (const [id, result] of Object.entries(results)) {
      if (result.rate > best[id].rate) best[id] = result
    }
  }
  for (const w of workloads) log(`  ${NO_STORAGE.name}: ${w.label}: ${formatRate(best[w.id].rate)} ${w.unit}`)
  return best
}

/**
 * Runs the whole suite once on a small data set, not measured, so that the
 * JIT has seen the code paths. With `timed`, the calls are timed too, so
 * that the timed path is warm, and then forgotten.
 */
async function warmUp (backend, warmup, root, timed) {
  log(`${backend.name}: warm-up (${warmup.n} keys, not measured)`)
  if (timed !== null) timed.start()
  try {
    await runSuite({ backend, dataset: warmup, root, monitor: timed })
  } finally {
    if (timed !== null) {
      timed.stop()
      timed.reset()
    }
  }
}

/**
 * One measured run of the suite on `backend`, with the event-loop stall
 * monitor running (and the native-call timer, `timed`, if not null).
 * Returns { results, stall }.
 */
async function measureBackend (backend, dataset, root, timed) {
  if (typeof global.gc === 'function') global.gc()
  await sleep(200)
  const stall = new StallMonitor().start()
  // runSuite names each workload to one monitor; tell both.
  const monitor = timed === null
    ? stall
    : { enter: (workload) => { stall.enter(workload); timed.enter(workload) } }
  if (timed !== null) timed.start()
  let results
  try {
    results = await runSuite({ backend, dataset, root, monitor, log })
  } finally {
    stall.stop()
    if (timed !== null) timed.stop()
  }
  return { results, stall: stall.result() }
}

async function main () {
  const options = parseOptions(process.argv.slice(2))
  if (options.help) {
    console.log('usage: node bench/index.js [--quick | --n=N] [--rounds=R] [--no-native-calls] [--scale [--scale-sizes=1000000,10000000]]')
    return
  }
  if (options.scale) {
    await require('./scale').runScale({ sizes: options.scaleSizes, seed: SEED, log })
    return
  }

  const machine = report.machine()
  const n = options.n
  console.log(report.machineLine(machine))
  console.log(`N = ${n.toLocaleString('en-US')} keys of ${KEY_SIZE} bytes, ${VALUE_SIZE}-byte values, ` +
    'buffer encodings, each operation awaited in turn')
  console.log(`${options.rounds} ${options.rounds === 1 ? 'round' : 'rounds'}: every backend and the native baseline ` +
    'in turn, then again; the table gives the median round of each')

  let baseline = null
  let nativeError = null
  try {
    baseline = ensureBaseline(log)
  } catch (err) {
    nativeError = `build failed: ${err.message}`
    log(`native baseline: ${nativeError}`)
  }

  log('building the data set')
  const dataset = new Dataset(n, SEED)
  const warmup = new Dataset(Math.min(WARMUP_N, n), SEED + 1000)
  const root = makeTempRoot('sophia-level-bench-')
  const rounds = Object.fromEntries(BACKENDS.map((backend) => [backend.name, []]))
  const nativeRounds = []
  const stalls = {}
  // Installed before the first sophia-level database exists (it has to be,
  // see native-calls.js); it records only while sophia-level runs.
  const nativeCalls = options.nativeCalls ? new NativeCallTimer().install() : null

  for (let round = 0; round < options.rounds; round++) {
    for (const backend of BACKENDS) {
      const timed = nativeCalls !== null && backend.name === 'sophia-level' ? nativeCalls : null
      if (round === 0) await warmUp(backend, warmup, path.join(root, 'warmup'), timed)
      log(`${backend.name}: ${n} keys, round ${round + 1} of ${options.rounds}`)
      const { results, stall } = await measureBackend(backend, dataset, root, timed)
      rounds[backend.name].push(results)
      if (stalls[backend.name] === undefined || stall.maxMs > stalls[backend.name].maxMs) stalls[backend.name] = stall
    }
    if (baseline !== null && nativeError === null) {
      log(`native C: ${n} keys, round ${round + 1} of ${options.rounds}`)
      try {
        const dir = path.join(root, `native-${round}`)
        nativeRounds.push(runBaseline({ binary: baseline, dir, n, scanPasses: SCAN_PASSES, seed: SEED }))
        removeDir(dir)
      } catch (err) {
        nativeError = `run failed: ${err.message}`
        log(`native baseline: ${nativeError}`)
      }
    }
  }
  const nativeCallResult = nativeCalls !== null ? nativeCalls.result() : null
  const results = Object.fromEntries(Object.entries(rounds).map(([name, runs]) => [name, report.medianRound(runs)]))
  const native = nativeError === null && nativeRounds.length > 0
    ? { n, workloads: report.medianRound(nativeRounds.map((run) => run.workloads)) }
    : null
  removeDir(root)

  log(`${NO_STORAGE.name}: the harness's own time on the point workloads (best of ${HARNESS_RUNS})`)
  const harness = await timeHarness(dataset, warmup, root)

  const floors = report.floors(WORKLOADS, results, native)
  const harnessFloors = report.harnessFloors(WORKLOADS, results, native, harness)
  console.log()
  console.log(report.resultsTable(WORKLOADS, results, native))
  console.log()
  console.log('Ratios > 1 mean sophia-level is faster. All columns measured in this one run (the median of its rounds); ' +
    'compare ratios, not absolutes.')
  if (nativeError !== null) {
    console.log(`native C baseline unavailable (${nativeError})`)
  } else {
    console.log()
    console.log('Floors: the best sophia/classic ratio possible if the binding cost nothing (a target above it cannot be met);')
    console.log('for the point workloads also with the harness\'s own time per operation added (timed on a backend that stores nothing):')
    for (const line of report.floorLines(WORKLOADS, floors, harnessFloors)) console.log(line)
    for (const line of nativeMismatches(results, native)) console.log(line)
  }
  if (options.rounds > 1) {
    console.log()
    console.log('sophia/classic in each round:')
    for (const line of report.roundRatioLines(WORKLOADS, rounds)) console.log(line)
  }
  console.log()
  console.log('Worst event-loop stall (gap between ticks of a 1 ms timer; the loop yields every ~1000 entries):')
  for (const backend of BACKENDS) console.log(report.stallLine(backend.name, stalls[backend.name]))
  console.log()
  if (nativeCallResult === null) {
    console.log('Native calls not timed (--no-native-calls).')
  } else {
    console.log('Longest single native calls, sophia-level (each call into the binding timed on the JS thread;')
    console.log('open, close and syncLog for their synchronous part; adds ~0.1-0.2 µs per call, --no-native-calls to omit):')
    console.log(report.nativeCallsTable(nativeCallResult.top))
  }

  const file = report.writeJson('last-run.json', {
    date: new Date().toISOString(),
    machine,
    options: {
      quick: options.quick,
      n,
      rounds: options.rounds,
      nativeCalls: options.nativeCalls,
      keySize: KEY_SIZE,
      valueSize: VALUE_SIZE,
      seed: SEED,
      scanPasses: SCAN_PASSES,
      warmupN: warmup.n
    },
    workloads: WORKLOADS.map(({ id, label, unit, native }) => ({ id, label, unit, native: native ?? null })),
    results,
    rounds,
    native: native ?? { error: nativeError },
    nativeRounds,
    harness,
    floors,
    harnessFloors,
    eventLoopStall: stalls,
    nativeCalls: nativeCallResult
  })
  console.log()
  console.log(`Results written to ${path.relative(process.cwd(), file) || file}`)
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
