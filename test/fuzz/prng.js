'use strict'

// A small seeded PRNG (mulberry32) and the helpers the generator draws with.
// Everything random in a fuzz run comes from one of these, so a seed replays
// the same run exactly.

function mulberry32 (seed) {
  let a = seed >>> 0
  return function () {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class Random {
  constructor (seed) {
    this.seed = seed >>> 0
    this.float = mulberry32(this.seed)
  }

  // An integer in [0, n).
  int (n) {
    return Math.floor(this.float() * n)
  }

  // An integer in [lo, hi].
  between (lo, hi) {
    return lo + this.int(hi - lo + 1)
  }

  chance (p) {
    return this.float() < p
  }

  pick (array) {
    return array[this.int(array.length)]
  }

  // `table` maps names to weights (zero or missing: never picked).
  weighted (table) {
    let total = 0
    for (const name in table) total += table[name] > 0 ? table[name] : 0
    let r = this.float() * total
    let last
    for (const name in table) {
      if (!(table[name] > 0)) continue
      last = name
      r -= table[name]
      if (r < 0) return name
    }
    return last
  }

  bytes (n) {
    const buffer = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) buffer[i] = this.int(256)
    return buffer
  }

  // A 32-bit seed for another generator.
  seed32 () {
    return this.int(0x100000000)
  }
}

// Seeds are written in decimal or 0x-hex on the command line.
function parseSeed (text) {
  const value = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text.slice(2), 16) : Number(text)
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`A seed is an integer from 0 to 4294967295, not ${JSON.stringify(text)}`)
  }
  return value
}

function randomSeed () {
  return require('crypto').randomBytes(4).readUInt32LE(0)
}

module.exports = { mulberry32, Random, parseSeed, randomSeed }
