'use strict'

// The differential fuzzer's short run (see test/fuzz/): a fixed set of seeds
// and one random seed, each a sequence of random operations on sophia-level
// and memory-level side by side, every result compared. A failure prints the
// seed, the step, the operation and both results, and the command that
// replays it. The long run: node test/fuzz/run.js --seconds=600

const test = require('tape')
const { tempLocation } = require('./common')
const { Runner, Stats, Divergence } = require('./fuzz/runner')
const { randomSeed, parseSeed } = require('./fuzz/prng')
const { Generator, describeConfig } = require('./fuzz/generator')

// Chosen to cover each encoding (buffer, utf8, view), with and without the
// sublevel, one and two threads, each value profile, and storage options
// that put data in node files (seeds 4 and 5); bulky runs are left to the
// long run. FUZZ_SEED=N sets the "random" seed.
const SEEDS = [1, 4, 5, 6, 7, 8, 12, 16, 30, 35]
const STEPS = 2000

const total = new Stats()
const random = process.env.FUZZ_SEED !== undefined ? parseSeed(process.env.FUZZ_SEED) : randomSeed()

for (const seed of SEEDS.concat(random)) {
  const label = seed === random ? `random seed ${seed}` : `seed ${seed}`
  test(`fuzz: ${label}`, async function (t) {
    // A bulky run (5% of seeds) writes 500,000 keys per 1000 operations.
    const steps = new Generator(seed).config.bulky ? 200 : STEPS
    const runner = new Runner(seed, { steps, location: tempLocation() })
    if (seed === random) t.comment(`random seed ${seed}: replay with node test/fuzz/run.js --seed=${seed} --steps=${steps}`)
    const started = Date.now()
    try {
      await runner.run()
      t.pass(`${steps} operations agree (${describeConfig(runner.config)}; ${Date.now() - started} ms)`)
    } catch (err) {
      if (!(err instanceof Divergence)) throw err
      t.comment(err.message)
      t.fail(`seed ${seed} diverged at step ${err.step}: node test/fuzz/run.js --seed=${seed} --steps=${err.step}`)
    } finally {
      total.merge(runner.stats)
    }
  })
}

test('fuzz: operations compared', function (t) {
  const sum = total.total()
  t.comment(`${total.steps} operations in ${SEEDS.length + 1} runs (seeds ${SEEDS.join(', ')} and ${random}); ` +
    `${sum.compared + sum.failedAlike} results compared, ${sum.refused} refusals checked`)
  t.comment('\n' + total.format())
  t.ok(total.steps > 0, 'operations ran')
  t.end()
})
