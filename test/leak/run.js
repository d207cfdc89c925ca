'use strict'

// Leak check: runs millions of operations of every kind on a SophiaLevel
// (put, get, getMany, iterators with nextv / all / seek, array and chained
// batches, snapshots, transactions that commit or roll back) over a bounded
// key space, samples the process's memory at intervals after a warm-up, with
// the JS heap settled by global.gc(), and fails if RSS (or the JS heap) keeps
// growing.
//
//   node --expose-gc test/leak/run.js [--ops=N] [--seconds=S] ...
//   npm run test:leak
//
// Options (a flag, or the environment variable in brackets):
//   --ops=N           stop after N operations          [LEAK_OPS]      default 3000000
//   --seconds=S       stop after S seconds at most     [LEAK_SECONDS]  default 150
//   --warmup=S        seconds before the first sample  [LEAK_WARMUP]   default 30% of the run,
//                     at least 10 s
//   --samples=N       samples after the warm-up        [LEAK_SAMPLES]  default 24
//   --tolerance=MB    allowed RSS growth               [LEAK_TOLERANCE_MB] default 24
//   --heap-tolerance=MB allowed JS heap growth         [LEAK_HEAP_TOLERANCE_MB] default 8
//   --concurrency=N   operation loops run at once      [LEAK_CONCURRENCY] default 4
//   --keys=N          size of the key space            [LEAK_KEYS]     default 5000
//   --yield-every=N   each loop lets the event loop turn (setImmediate) every
//                     N operations; 0: never         [LEAK_YIELD_EVERY] default 50
//                     (many operations resolve without a turn of the event
//                     loop, and memory freed by finalizers waits for one)
//   --only=a,b        only these kinds of operation    [LEAK_ONLY]     default all:
//                     put,get,getMany,iterate,seek,batch,chained,snapshot,transaction
//                     (weighted: see WEIGHTS)
//   --location=DIR    database directory (default: a temporary one, removed)
//
// The verdict compares the median RSS of the last quarter of the samples with
// that of the second quarter ("last vs middle"), and fits a line through all
// the samples (least squares) to project the growth over the sampling period;
// either above the tolerance fails. The samples are printed either way.
//
// It loads the package it lies in (require('../..')). Against the sanitized
// build, run the copy scripts/test-asan.sh stages, with the environment it
// prints, e.g.
//   LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
//   ASAN_OPTIONS=detect_leaks=0:allow_user_segv_handler=1 \
//   node --expose-gc build-asan/pkg/test/leak/run.js --seconds=120
// RSS then includes ASan's shadow memory and its quarantine of freed blocks
// (256 MB by default), which fills up during the run and reads as growth:
// lower it (quarantine_size_mb) or allow a much bigger tolerance.

const fs = require('fs')
const os = require('os')
const path = require('path')

// The kinds of operation and their share of the mix: the cheap ones weigh
// more, so that a few minutes make millions of operations; every kind still
// runs hundreds of thousands of times.
const WEIGHTS = { put: 20, get: 25, getMany: 10, iterate: 6, seek: 5, batch: 8, chained: 8, snapshot: 6, transaction: 8 }
const KINDS = Object.keys(WEIGHTS)

function option (name, env, fallback) {
  const flag = process.argv.slice(2).find((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (flag !== undefined) return flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : 'true'
  if (process.env[env] !== undefined && process.env[env] !== '') return process.env[env]
  return fallback
}

function numberOption (name, env, fallback) {
  const raw = option(name, env, undefined)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} (${env}) must be a non-negative number, got ${raw}`)
    process.exit(2)
  }
  return value
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const text = fs.readFileSync(__filename, 'utf8').split('\n')
  console.log(text.slice(2, text.findIndex((l) => l.startsWith('const fs'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'))
  process.exit(0)
}

if (typeof global.gc !== 'function') {
  console.error('Run with node --expose-gc (npm run test:leak does)')
  process.exit(2)
}

const config = {
  ops: numberOption('ops', 'LEAK_OPS', 3000000),
  seconds: numberOption('seconds', 'LEAK_SECONDS', 150),
  warmup: numberOption('warmup', 'LEAK_WARMUP', undefined),
  samples: Math.max(4, Math.floor(numberOption('samples', 'LEAK_SAMPLES', 24))),
  toleranceMb: numberOption('tolerance', 'LEAK_TOLERANCE_MB', 24),
  heapToleranceMb: numberOption('heap-tolerance', 'LEAK_HEAP_TOLERANCE_MB', 8),
  concurrency: Math.max(1, Math.floor(numberOption('concurrency', 'LEAK_CONCURRENCY', 4))),
  yieldEvery: Math.floor(numberOption('yield-every', 'LEAK_YIELD_EVERY', 50)),
  keys: Math.max(10, Math.floor(numberOption('keys', 'LEAK_KEYS', 5000))),
  only: option('only', 'LEAK_ONLY', KINDS.join(',')).split(',').map((s) => s.trim()).filter(Boolean),
  location: option('location', 'LEAK_LOCATION', undefined)
}
if (config.warmup === undefined) config.warmup = Math.max(10, config.seconds * 0.3)
for (const kind of config.only) {
  if (!KINDS.includes(kind)) {
    console.error(`Unknown kind of operation ${kind}: one of ${KINDS.join(', ')}`)
    process.exit(2)
  }
}

const { SophiaLevel } = require('../..')

const MB = 1024 * 1024
const mb = (bytes) => (bytes / MB).toFixed(1)
const pad = (n) => String(n).padStart(6, '0')

// A small deterministic PRNG, so that runs are comparable.
let seed = 0x9e3779b9
function random () {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) / 0x100000000
}
const randomInt = (n) => Math.floor(random() * n)
const randomKey = () => 'k' + pad(randomInt(config.keys))
// Values of varied sizes (empty to 4 KB, mostly small) so that buffers of
// many size classes go through the binding.
const VALUES = [0, 1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 1024, 4096].map((n) => 'v'.repeat(n))
const randomValue = () => VALUES[randomInt(VALUES.length)]

const counts = Object.fromEntries(KINDS.map((k) => [k, 0]))
const nanos = Object.fromEntries(KINDS.map((k) => [k, 0n]))
let ops = 0
// Expected failures: a commit conflicting with another transaction, and a
// write to a key an open transaction has written (Sophia locks it).
const EXPECTED = new Set(['SOPHIA_TRANSACTION_CONFLICT', 'SOPHIA_TRANSACTION_LOCKED'])
const expected = Object.fromEntries([...EXPECTED].map((code) => [code, 0]))

async function operation (db, kind) {
  switch (kind) {
    case 'put':
      if (random() < 0.1) await db.del(randomKey())
      else await db.put(randomKey(), randomValue())
      return
    case 'get': {
      const asBuffer = random() < 0.3
      await db.get(randomKey(), asBuffer ? { valueEncoding: 'buffer' } : undefined)
      return
    }
    case 'getMany': {
      const keys = Array.from({ length: 1 + randomInt(16) }, randomKey)
      await db.getMany(keys, random() < 0.3 ? { valueEncoding: 'buffer' } : undefined)
      return
    }
    case 'iterate': {
      const gte = randomKey()
      const reverse = random() < 0.3
      const which = randomInt(3)
      const it = which === 0
        ? db.iterator({ gte, reverse, limit: 100 })
        : which === 1 ? db.keys({ gte, reverse, limit: 100 }) : db.values({ gte, reverse, limit: 100, valueEncoding: random() < 0.5 ? 'buffer' : 'utf8' })
      try {
        if (random() < 0.5) {
          await it.all()
          return
        }
        const steps = 1 + randomInt(4)
        for (let i = 0; i < steps; i++) {
          const entries = await it.nextv(1 + randomInt(64))
          if (entries.length === 0) break
        }
      } finally {
        await it.close()
      }
      return
    }
    case 'seek': {
      const it = db.iterator({ reverse: random() < 0.3 })
      try {
        for (let i = 0; i < 4; i++) {
          it.seek(randomKey())
          await it.next()
        }
        it.seek(randomKey())
        await it.nextv(8)
      } finally {
        await it.close()
      }
      return
    }
    case 'batch': {
      const operations = Array.from({ length: 1 + randomInt(32) }, () =>
        random() < 0.2 ? { type: 'del', key: randomKey() } : { type: 'put', key: randomKey(), value: randomValue() })
      await db.batch(operations)
      return
    }
    case 'chained': {
      const batch = db.batch()
      const n = 1 + randomInt(32)
      for (let i = 0; i < n; i++) {
        if (random() < 0.2) batch.del(randomKey())
        else batch.put(randomKey(), randomValue())
      }
      // Now and then a chained batch is dropped without being written.
      if (random() < 0.1) await batch.close()
      else await batch.write()
      return
    }
    case 'snapshot': {
      const snapshot = db.snapshot()
      try {
        await db.get(randomKey(), { snapshot })
        await db.getMany([randomKey(), randomKey(), randomKey()], { snapshot })
        const it = db.iterator({ snapshot, gte: randomKey(), limit: 50 })
        try {
          await it.nextv(25)
        } finally {
          await it.close()
        }
      } finally {
        await snapshot.close()
      }
      return
    }
    case 'transaction': {
      const tx = db.transaction()
      try {
        await tx.get(randomKey())
        await tx.getMany([randomKey(), randomKey()])
        await tx.put(randomKey(), randomValue())
        if (random() < 0.3) await tx.del(randomKey())
        if (random() < 0.3) {
          const it = tx.iterator({ gte: randomKey(), limit: 20 })
          try {
            await it.nextv(10)
          } finally {
            await it.close()
          }
        }
        if (random() < 0.5) {
          await tx.commit()
        } else {
          await tx.rollback()
        }
      } finally {
        if (tx.open) await tx.rollback()
      }
      return
    }
  }
}

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// Least squares fit: slope in bytes per second.
function slope (xs, ys) {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

// Growth between the middle and the end of the samples, two ways.
function growth (samples, field) {
  const xs = samples.map((s) => s.seconds)
  const ys = samples.map((s) => s[field])
  const q = Math.max(1, Math.floor(samples.length / 4))
  const middle = median(ys.slice(q, 2 * q))
  const last = median(ys.slice(ys.length - q))
  const perSecond = slope(xs, ys)
  return { lastVsMiddle: last - middle, projected: perSecond * (xs[xs.length - 1] - xs[0]), perSecond }
}

async function settle () {
  // Let the event loop drain (closed resources are released in callbacks),
  // then collect twice: finalizers freeing native memory run in between.
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    global.gc()
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
  global.gc()
}

async function main () {
  const root = config.location === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-leak-')) : null
  const location = config.location ?? path.join(root, 'db')
  const db = new SophiaLevel(location)
  await db.open()

  // Fill the key space once, so reads hit and the database's size is steady.
  const fill = []
  for (let i = 0; i < config.keys; i++) fill.push({ type: 'put', key: 'k' + pad(i), value: randomValue() })
  for (let i = 0; i < fill.length; i += 1000) await db.batch(fill.slice(i, i + 1000))

  console.log(`leak check: up to ${config.ops} operations or ${config.seconds}s, warm-up ${config.warmup}s, ${config.samples} samples, ` +
    `${config.concurrency} loops yielding every ${config.yieldEvery || 'never'}, ${config.keys} keys, kinds ${config.only.join(',')}; tolerance RSS ${config.toleranceMb} MB, heap ${config.heapToleranceMb} MB`)
  console.log(`node ${process.version}, pid ${process.pid}${process.env.LD_PRELOAD ? `, LD_PRELOAD=${process.env.LD_PRELOAD}` : ''}`)

  const started = process.hrtime.bigint()
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9
  const sampleEvery = Math.max(0.5, (config.seconds - config.warmup) / config.samples)
  const samples = []
  let nextSample = config.warmup
  let stop = false
  let paused = null // a promise the loops wait on while a sample is taken

  const totalWeight = config.only.reduce((sum, kind) => sum + WEIGHTS[kind], 0)
  const pickKind = () => {
    let r = random() * totalWeight
    for (const kind of config.only) {
      r -= WEIGHTS[kind]
      if (r < 0) return kind
    }
    return config.only[config.only.length - 1]
  }

  const stats = typeof db.stats === 'function' ? async () => db.stats() : async () => null

  async function loop () {
    let sinceYield = 0
    while (!stop) {
      if (paused !== null) {
        await paused
        continue
      }
      if (config.yieldEvery > 0 && ++sinceYield >= config.yieldEvery) {
        sinceYield = 0
        await new Promise((resolve) => setImmediate(resolve))
        continue
      }
      // The time limit and the samples, also when the operations never let
      // timers run (--yield-every=0).
      if ((ops & 1023) === 0) {
        if (elapsed() >= config.seconds) stop = true
        if (config.yieldEvery === 0 && sampleDue()) await takeSample()
      }
      const kind = pickKind()
      const t0 = process.hrtime.bigint()
      try {
        await operation(db, kind)
      } catch (err) {
        if (!EXPECTED.has(err.code)) throw err
        expected[err.code]++
      }
      counts[kind]++
      nanos[kind] += process.hrtime.bigint() - t0
      if (++ops >= config.ops) stop = true
    }
  }

  // Quiesces the loops (they finish their current operation and wait), lets
  // the event loop turn and collects garbage, then records the memory.
  let sampling = false
  async function takeSample () {
    if (sampling) return
    sampling = true
    let resume
    paused = new Promise((resolve) => { resume = resolve })
    await new Promise((resolve) => setTimeout(resolve, 50))
    await settle()
    const memory = process.memoryUsage()
    const sophia = await stats().catch(() => null)
    const sample = {
      seconds: elapsed(),
      ops,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      sophiaMemory: sophia?.memoryUsed,
      records: sophia?.records,
      duplicates: sophia?.duplicates
    }
    samples.push(sample)
    console.log(`sample ${String(samples.length).padStart(2)}  t=${sample.seconds.toFixed(1).padStart(6)}s  ops=${String(ops).padStart(9)}  ` +
      `rss=${mb(sample.rss).padStart(7)} MB  heapUsed=${mb(sample.heapUsed).padStart(6)} MB  external=${mb(sample.external).padStart(6)} MB  ` +
      `arrayBuffers=${mb(sample.arrayBuffers).padStart(6)} MB` +
      (sophia ? `  sophia.memoryUsed=${mb(sophia.memoryUsed).padStart(6)} MB  records=${sophia.records}  duplicates=${sophia.duplicates}` : ''))
    nextSample = elapsed() + sampleEvery
    paused = null
    sampling = false
    resume()
  }
  const sampleDue = () => {
    const t = elapsed()
    return t >= config.warmup && (t >= nextSample || stop)
  }

  async function sampler () {
    while (!stop) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      if (elapsed() >= config.seconds) stop = true
      if (sampleDue()) await takeSample()
    }
  }

  await Promise.all([sampler(), ...Array.from({ length: config.concurrency }, loop)])
  const seconds = elapsed()
  await db.close()
  if (root !== null) fs.rmSync(root, { recursive: true, force: true })

  console.log(`\n${ops} operations in ${seconds.toFixed(1)}s (${Math.round(ops / seconds)}/s): ` +
    Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n} (${(Number(nanos[k]) / n / 1000).toFixed(0)} µs)`).join(', ') +
    `; expected failures: ${Object.entries(expected).map(([code, n]) => `${code} ${n}`).join(', ')}`)

  if (samples.length < 4) {
    console.log(`FAIL: only ${samples.length} samples after the warm-up: give more --seconds or --ops, or a shorter --warmup`)
    process.exitCode = 1
    return
  }
  const rss = growth(samples, 'rss')
  const heap = growth(samples, 'heapUsed')
  const verdicts = [
    ['RSS', rss, config.toleranceMb],
    ['JS heap', heap, config.heapToleranceMb]
  ].map(([name, g, tolerance]) => {
    const over = g.lastVsMiddle > tolerance * MB || g.projected > tolerance * MB
    console.log(`${name}: last vs middle ${g.lastVsMiddle >= 0 ? '+' : ''}${mb(g.lastVsMiddle)} MB, ` +
      `linear fit ${(g.perSecond / 1024).toFixed(2)} KB/s = ${g.projected >= 0 ? '+' : ''}${mb(g.projected)} MB over the sampling period ` +
      `(tolerance ${tolerance} MB): ${over ? 'GROWING' : 'ok'}`)
    return over
  })
  if (verdicts.some(Boolean)) {
    console.log('FAIL: memory keeps growing')
    process.exitCode = 1
  } else {
    console.log('ok: no growth beyond the tolerance')
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
