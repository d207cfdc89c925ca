'use strict'

// The workloads, and the suite that runs them in order on one backend.
// Every operation is awaited before the next starts. Every ~1000 entries the
// loop yields to the event loop (setImmediate), the same for every backend,
// so that the stall monitor's timer can run at all (a backend whose
// operations resolve without going through the event loop, like
// memory-level, would otherwise hold it for a whole workload).

const path = require('path')
const { performance } = require('perf_hooks')
const { openDb, closeDb } = require('./backends')

const YIELD_EVERY = 1024 // entries, a power of two
const YIELD_MASK = YIELD_EVERY - 1
// BATCH_SIZE, GET_MANY_SIZE, RANGE_SIZE and rangeCount() are repeated in
// bench/native/baseline.c; keep them in sync.
const BATCH_SIZE = 1000
const GET_MANY_SIZE = 100
const RANGE_SIZE = 100
const NEXTV_SIZE = 1000
const SCAN_PASSES = 3

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

function check (condition, message) {
  if (!condition) throw new Error(`Benchmark check failed: ${message}`)
}

/** Number of ranges read by the range workloads. */
function rangeCount (n) {
  return Math.max(100, Math.floor(n / 20))
}

// Each run(db, ds) returns { ops } — the unit of the rate — and optionally
// { entries } when ops are not entries.

async function putSequential (db, ds) {
  for (let i = 0; i < ds.n; i++) {
    await db.put(ds.key(i), ds.value(i))
    if ((i & YIELD_MASK) === YIELD_MASK) await yieldToLoop()
  }
  return { ops: ds.n }
}

async function putRandom (db, ds) {
  const order = ds.putOrder
  for (let i = 0; i < ds.n; i++) {
    const k = order[i]
    await db.put(ds.key(k), ds.value(k))
    if ((i & YIELD_MASK) === YIELD_MASK) await yieldToLoop()
  }
  return { ops: ds.n }
}

async function getRandom (db, ds) {
  const order = ds.getOrder
  for (let i = 0; i < ds.n; i++) {
    const value = await db.get(ds.key(order[i]))
    check(value !== undefined && value.length === ds.valueSize, `get of key #${order[i]}`)
    if ((i & YIELD_MASK) === YIELD_MASK) await yieldToLoop()
  }
  return { ops: ds.n }
}

// N puts as N/1000 array batches, keys in index order (0..N-1) when
// `random` is false, in the order of 'put random' (ds.putOrder) when true.
function batchWriter (random) {
  return async function batchPut (db, ds) {
    const order = random ? ds.putOrder : null
    let ops = 0
    for (let start = 0; start < ds.n; start += BATCH_SIZE) {
      const end = Math.min(start + BATCH_SIZE, ds.n)
      const operations = new Array(end - start)
      for (let i = start; i < end; i++) {
        const k = order !== null ? order[i] : i
        operations[i - start] = { type: 'put', key: ds.key(k), value: ds.value(k) }
      }
      await db.batch(operations)
      ops += operations.length
      await yieldToLoop()
    }
    return { ops, batches: Math.ceil(ds.n / BATCH_SIZE) }
  }
}

async function getMany (db, ds) {
  const calls = Math.ceil(ds.n / GET_MANY_SIZE)
  const indices = ds.randomIndices(calls * GET_MANY_SIZE, 'getMany')
  const keys = new Array(GET_MANY_SIZE)
  const perYield = Math.max(1, Math.floor(YIELD_EVERY / GET_MANY_SIZE))
  for (let c = 0; c < calls; c++) {
    for (let j = 0; j < GET_MANY_SIZE; j++) keys[j] = ds.key(indices[c * GET_MANY_SIZE + j])
    const values = await db.getMany(keys)
    check(values.length === GET_MANY_SIZE && values[0] !== undefined, 'getMany')
    if ((c + 1) % perYield === 0) await yieldToLoop()
  }
  return { ops: calls * GET_MANY_SIZE, calls }
}

async function scanNextv (db, ds) {
  let total = 0
  for (let pass = 0; pass < SCAN_PASSES; pass++) {
    const iterator = db.iterator()
    let count = 0
    let entries
    while ((entries = await iterator.nextv(NEXTV_SIZE)).length > 0) {
      count += entries.length
      await yieldToLoop()
    }
    await iterator.close()
    check(count === ds.n, `nextv scan saw ${count} entries, expected ${ds.n}`)
    total += count
  }
  return { ops: total, passes: SCAN_PASSES }
}

async function scanForAwait (db, ds) {
  let total = 0
  for (let pass = 0; pass < SCAN_PASSES; pass++) {
    let count = 0
    // eslint-disable-next-line no-unused-vars
    for await (const entry of db.iterator()) {
      count++
      if ((count & YIELD_MASK) === 0) await yieldToLoop()
    }
    check(count === ds.n, `for-await scan saw ${count} entries, expected ${ds.n}`)
    total += count
  }
  return { ops: total, passes: SCAN_PASSES }
}

function rangeReader (reverse) {
  return async function readRanges (db, ds) {
    const count = rangeCount(ds.n)
    const indices = ds.randomIndices(count, reverse ? 'reverseRange' : 'range')
    const perYield = Math.max(1, Math.floor(YIELD_EVERY / RANGE_SIZE))
    let entries = 0
    for (let r = 0; r < count; r++) {
      const key = ds.key(indices[r])
      const options = reverse
        ? { lte: key, reverse: true, limit: RANGE_SIZE }
        : { gte: key, limit: RANGE_SIZE }
      const range = await db.iterator(options).all()
      check(range.length > 0, 'range read returned nothing')
      entries += range.length
      if ((r + 1) % perYield === 0) await yieldToLoop()
    }
    return { ops: count, entries }
  }
}

/**
 * The workloads, in the order they run. `db` says which database each uses:
 * 'seq', 'batchSeq' and 'batchRandom' are fresh databases, closed and
 * removed right after; 'loaded' is the database filled by 'put random', used
 * by every read (it stays open meanwhile). `native` names the matching
 * result of bench/native/baseline.c, which runs them in the same order.
 * `noStorage` marks the point workloads also timed on the backend that
 * stores nothing (no-storage.js).
 */
const WORKLOADS = [
  { id: 'putSeq', label: 'put, sequential keys', unit: 'puts/s', db: 'seq', native: 'putSeq', noStorage: true, run: putSequential },
  { id: 'putRandom', label: 'put, random keys', unit: 'puts/s', db: 'loaded', native: 'putRandom', noStorage: true, run: putRandom },
  { id: 'getRandom', label: 'get, random keys', unit: 'gets/s', db: 'loaded', native: 'getRandom', noStorage: true, run: getRandom },
  { id: 'batchSeq', label: `batch of ${BATCH_SIZE} puts, sequential keys`, unit: 'puts/s', db: 'batchSeq', native: 'batchSeq', noStorage: true, run: batchWriter(false) },
  { id: 'batchRandom', label: `batch of ${BATCH_SIZE} puts, random keys`, unit: 'puts/s', db: 'batchRandom', native: 'batchRandom', noStorage: true, run: batchWriter(true) },
  { id: 'getMany', label: `getMany of ${GET_MANY_SIZE} random keys`, unit: 'keys/s', db: 'loaded', native: 'getMany', noStorage: true, run: getMany },
  { id: 'scanNextv', label: `full scan, nextv(${NEXTV_SIZE})`, unit: 'entries/s', db: 'loaded', native: 'scan', run: scanNextv },
  { id: 'scanForAwait', label: 'full scan, for await', unit: 'entries/s', db: 'loaded', native: 'scan', run: scanForAwait },
  { id: 'range', label: `range of ${RANGE_SIZE}, forward`, unit: 'ranges/s', db: 'loaded', native: 'range', run: rangeReader(false) },
  { id: 'reverseRange', label: `range of ${RANGE_SIZE}, reverse`, unit: 'ranges/s', db: 'loaded', native: 'reverseRange', run: rangeReader(true) }
]

/** Runs `run(db, ds)` and returns its counts with the elapsed time and rate. */
async function measure (run, db, ds) {
  const start = performance.now()
  const counts = await run(db, ds)
  const ms = performance.now() - start
  return { ...counts, ms: round(ms, 3), rate: round(counts.ops / (ms / 1000), 1) }
}

function round (x, digits) {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/**
 * Runs the workloads (by default every one), in order, on `backend`, with
 * databases under `root`. `monitor` (optional) is told which workload runs.
 * Returns { [id]: result }.
 */
async function runSuite ({ backend, dataset, root, workloads = WORKLOADS, monitor = null, log = () => {} }) {
  const dirOf = (suffix) => backend.persistent ? path.join(root, `${backend.name}-${suffix}`) : null
  const enter = (name) => { if (monitor !== null) monitor.enter(name) }
  const results = {}
  const open = {}

  for (const workload of workloads) {
    enter('open/close')
    if (open[workload.db] === undefined) {
      const dir = dirOf(workload.db)
      open[workload.db] = { db: await openDb(backend, dir), dir }
    }
    const { db, dir } = open[workload.db]
    enter(workload.id)
    const result = await measure(workload.run, db, dataset)
    enter('open/close')
    results[workload.id] = result
    log(`  ${backend.name}: ${workload.label}: ${formatRate(result.rate)} ${workload.unit}`)
    if (workload.db !== 'loaded') {
      await closeDb(db, dir)
      delete open[workload.db]
    }
  }
  for (const { db, dir } of Object.values(open)) await closeDb(db, dir)
  return results
}

function formatRate (rate) {
  return Math.round(rate).toLocaleString('en-US')
}

module.exports = {
  WORKLOADS,
  GET_MANY_SIZE,
  SCAN_PASSES,
  YIELD_MASK,
  NEXTV_SIZE,
  runSuite,
  yieldToLoop,
  check,
  round,
  formatRate
}
