#!/usr/bin/env node
'use strict'

// The differential fuzzer's command line.
//
//   node test/fuzz/run.js                      runs random seeds for 120 s
//   node test/fuzz/run.js --seconds=600        … for 600 s
//   node test/fuzz/run.js --runs=50            … at most 50 runs (and 120 s)
//   node test/fuzz/run.js --seed=N [--steps=M] replays one run exactly
//   node test/fuzz/run.js --seed=N --steps=M --shrink
//                                              prints the fewest of those
//                                              operations that still diverge
//                                              (--script=file.js also writes
//                                              them as a standalone script)
//
// Options: --steps=M operations per run (default: 1000 for a replay; 1000,
// 3000 or 10000 by seed in a long run, as the line of each run says),
// --trace prints every operation as it runs, --keep keeps the database of a
// failed run, --quiet prints no line per run, --strict also reports the
// known difference of runner.js (knownDifference) as a divergence.
// Exits with 1 at the first divergence, printing its report (the seed, the
// step, the operation, both results) and the counts so far.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { Runner, Stats, Divergence, DEFAULT_STEPS } = require('./runner')
const { parseSeed, randomSeed } = require('./prng')
const { shrink } = require('./shrink')
const { toScript } = require('./script')
const { Generator, describeConfig } = require('./generator')

const USAGE = 'usage: node test/fuzz/run.js [--seed=N] [--steps=M] [--seconds=S] [--runs=R] [--trace] [--keep] [--quiet] [--strict] [--seed=N --shrink [--script=file.js]]'

function parseArgs (argv) {
  const args = { seed: null, steps: null, seconds: 120, runs: Infinity, trace: false, keep: false, quiet: false, strict: false, shrink: false, script: null }
  for (const arg of argv) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg)
    if (m === null) throw new Error(`unknown argument ${arg}\n${USAGE}`)
    const [, name, value] = m
    const number = () => {
      const n = Number(value)
      if (value === undefined || !(n > 0)) throw new Error(`--${name} needs a positive number\n${USAGE}`)
      return n
    }
    switch (name) {
      case 'seed': args.seed = parseSeed(value ?? ''); break
      case 'steps': args.steps = Math.floor(number()); break
      case 'seconds': args.seconds = number(); break
      case 'runs': args.runs = Math.floor(number()); break
      case 'trace': args.trace = true; break
      case 'keep': args.keep = true; break
      case 'quiet': args.quiet = true; break
      case 'strict': args.strict = true; break
      case 'shrink': args.shrink = true; break
      case 'script': args.script = value; break
      case 'help': console.log(USAGE); process.exit(0); break
      default: throw new Error(`unknown option --${name}\n${USAGE}`)
    }
  }
  return args
}

function printSummary (total, started) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (total.seeds.length > 0) {
    console.log(`\nseeds of the ${total.seeds.length} run(s) that passed:`)
    for (let i = 0; i < total.seeds.length; i += 10) console.log('  ' + total.seeds.slice(i, i + 10).join(' '))
  }
  const sum = total.total()
  console.log(`\noperations compared, by kind (a run's operations: ${total.steps} in all):`)
  console.log(total.format())
  console.log(`\n${total.runs} run(s) passed, ${total.steps} operations, ${sum.compared + sum.failedAlike} results compared, ` +
    `${sum.refused} refusals checked, in ${seconds} s`)
}

// Runs of mixed lengths: most short, some long enough for big databases.
// (Bulky runs write 500,000 keys in 1000 operations: they stay at 1000.)
function stepsFor (seed, config) {
  const r = seed % 10
  if (config.bulky) return 1000
  return r < 6 ? 1000 : r < 9 ? 3000 : 10000
}

async function shrinkSeed (args, root) {
  const steps = args.steps ?? DEFAULT_STEPS
  console.log(`shrinking seed ${args.seed} (${steps} operations)`)
  const result = await shrink(args.seed, steps, root, (line) => console.log(line), args.strict)
  if (result === null) {
    console.log(`seed ${args.seed} does not diverge within ${steps} operations`)
    return
  }
  const runner = new Runner(args.seed, { operations: result.operations, location: path.join(root, 'describe'), strict: args.strict })
  console.log(`\n${result.operations.length} operations still diverge (${result.tries} tries):`)
  result.operations.forEach((op, i) => console.log(`${String(i + 1).padStart(6)}  ${runner.describe(op)}`))
  console.log('\n' + result.divergence.message)
  if (args.script !== null) {
    const file = path.resolve(args.script)
    const root = process.env.FUZZ_SOPHIA_LEVEL || path.join(__dirname, '..', '..')
    let modulePath = path.relative(path.dirname(file), path.resolve(root))
    if (!modulePath.startsWith('.')) modulePath = './' + modulePath
    fs.writeFileSync(file, toScript({
      seed: args.seed,
      config: runner.config,
      operations: result.operations,
      sophiaOptions: runner.sophiaOptions(),
      summary: result.divergence.summary,
      modulePath
    }))
    console.log(`\nwritten to ${file}`)
  }
  process.exitCode = 1
}

async function main () {
  let args
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (err) {
    console.error(err.message)
    process.exit(2)
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-fuzz-'))
  if (args.shrink) {
    if (args.seed === null) {
      console.error(`--shrink needs --seed\n${USAGE}`)
      process.exit(2)
    }
    await shrinkSeed(args, root)
    fs.rmSync(root, { recursive: true, force: true })
    return
  }
  const started = Date.now()
  const deadline = started + args.seconds * 1000
  const total = new Stats()
  let current = null
  let failed = false

  process.on('unhandledRejection', (err) => {
    console.error(`\nunhandled rejection during seed ${current}:`, err)
    process.exit(1)
  })

  const replay = args.seed !== null
  const maxRuns = replay ? 1 : args.runs
  if (!replay) {
    console.log(`fuzzing for up to ${args.seconds} s${Number.isFinite(args.runs) ? ` or ${args.runs} runs` : ''}, ` +
      (args.steps !== null ? `${args.steps} operations per run` : '1000, 3000 or 10000 operations per run (by seed)'))
  }
  // A replay is one run whatever the time; the long run stops at the deadline.
  const timeLeft = () => replay || Date.now() < deadline
  for (let i = 1; i <= maxRuns && timeLeft(); i++) {
    const seed = replay ? args.seed : randomSeed()
    current = seed
    const runner = new Runner(seed, {
      steps: args.steps ?? (replay ? DEFAULT_STEPS : stepsFor(seed, new Generator(seed).config)),
      location: path.join(root, String(i)),
      keep: args.keep,
      strict: args.strict,
      deadline: replay ? null : deadline,
      trace: args.trace ? (line) => console.log(line) : null
    })
    const t0 = Date.now()
    // Written before the run, so that a crash leaves the seed on screen.
    if (!args.quiet || replay) {
      process.stdout.write(`run ${i}  seed=${seed}  steps=${runner.steps}  ${describeConfig(runner.config)}  ${args.trace ? '\n' : ''}`)
    }
    try {
      const stats = await runner.run()
      total.merge(stats)
      if (!args.quiet || replay) {
        console.log(`ok, ${stats.steps} operations${runner.cut ? ' (stopped at the time limit)' : ''}, ${((Date.now() - t0) / 1000).toFixed(2)} s`)
      }
    } catch (err) {
      failed = true
      console.log('FAILED\n')
      total.merge(runner.stats)
      if (err instanceof Divergence) console.log(err.message)
      else console.log(`seed ${seed}: unexpected error\n${err.stack}`)
      if (args.keep) console.log(`  database kept in ${path.join(root, String(i))}`)
      break
    }
  }
  printSummary(total, started)
  if (!(failed && args.keep)) fs.rmSync(root, { recursive: true, force: true })
  process.exitCode = failed ? 1 : 0
}

main()
