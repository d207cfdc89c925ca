'use strict'

// Shrinking a failing run: the seed's operations up to the divergence, then
// ever smaller subsets of them (delta debugging: drop chunks, then single
// operations) that still diverge in the same way, each run on fresh
// databases. Operations on iterators or snapshots whose creation was
// dropped are skipped alike on both sides, so any subset is runnable.
// Timing matters to some divergences (Sophia's background threads): a list
// counts as diverging if one of a few runs of it does.

const path = require('path')
const { Generator } = require('./generator')
const { Runner, Divergence } = require('./runner')

// Divergences that depend on Sophia's background threads (flushes,
// compaction) do not show every time: each list gets a few runs.
const RUNS = 3

async function attempt (seed, operations, location, strict) {
  for (let i = 0; i < RUNS; i++) {
    try {
      await new Runner(seed, { operations, location: `${location}-${i}`, strict }).run()
    } catch (err) {
      if (err instanceof Divergence) return err
      throw err
    }
  }
  return null
}

// `log` receives progress lines; `strict` is the Runner's option. Returns
// { operations, divergence, tries }, or null when the seed does not diverge
// within `steps`.
async function shrink (seed, steps, root, log = () => {}, strict = false) {
  const generator = new Generator(seed)
  let operations = []
  for (let i = 0; i < steps; i++) operations.push(generator.next())
  let tries = 0
  const location = () => path.join(root, `shrink-${tries++}`)

  let divergence = await attempt(seed, operations, location(), strict)
  if (divergence === null) return null
  const summary = divergence.summary
  operations = operations.slice(0, divergence.step)
  log(`diverges at operation ${operations.length}: ${summary}`)

  const stillFails = async (candidate) => {
    const found = await attempt(seed, candidate, location(), strict)
    if (found === null || found.summary !== summary) return false
    divergence = found
    operations = candidate.slice(0, found.step)
    return true
  }

  let chunks = 2
  while (operations.length >= 2) {
    const size = Math.ceil(operations.length / chunks)
    let reduced = false
    // The last operation is the one that diverges: keep it.
    for (let start = 0; start < operations.length - 1; start += size) {
      const candidate = operations.slice(0, start).concat(operations.slice(Math.min(start + size, operations.length - 1)))
      if (candidate.length < operations.length && await stillFails(candidate)) {
        reduced = true
        break
      }
    }
    if (reduced) {
      chunks = Math.max(chunks - 1, 2)
      log(`  ${operations.length} operations (${tries} tries)`)
    } else if (size <= 1) {
      break
    } else {
      chunks = Math.min(chunks * 2, operations.length)
    }
  }
  return { operations, divergence, tries }
}

module.exports = { shrink }
