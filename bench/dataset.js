'use strict'

// The benchmark's data: N keys of 16 bytes (zero-padded decimal, so byte
// order is numeric order), 100-byte values cut from a pseudo-random pool, and
// pseudo-random orders from mulberry32. Everything is derived from a seed, so
// every backend — and bench/native/baseline.c, which mirrors this file — sees
// the same keys, values and orders.

const KEY_SIZE = 16
const VALUE_SIZE = 100
const POOL_SIZE = 1 << 20
// Neighbouring values start this far apart in the pool, so a block of
// consecutive entries does not repeat bytes (which LevelDB's compression
// would otherwise squeeze).
const VALUE_STRIDE = 104729

// Seed offsets of the independent random streams (same in baseline.c).
const STREAM = {
  pool: 1,
  putOrder: 2,
  getOrder: 3,
  getMany: 4,
  range: 5,
  reverseRange: 6,
  scaleGets: 7
}

function mulberry32 (seed) {
  let a = seed | 0
  return function next () {
    a = (a + 0x6D2B79F5) | 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

// A Fisher-Yates shuffle of 0..n-1 (modulo instead of scaling, so that the C
// baseline computes the exact same permutation).
function shuffled (n, seed) {
  const rng = mulberry32(seed)
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  for (let i = n; i > 1; i--) {
    const j = rng() % i
    const t = order[i - 1]
    order[i - 1] = order[j]
    order[j] = t
  }
  return order
}

function keyString (i) {
  return String(i).padStart(KEY_SIZE, '0')
}

class Dataset {
  /**
   * @param {number} n number of keys
   * @param {number} seed
   * @param {{ materialize?: boolean }} [options] materialize: false builds
   *   keys on the fly instead of holding n * 16 bytes (for --scale)
   */
  constructor (n, seed, options = {}) {
    this.n = n
    this.seed = seed
    this.keySize = KEY_SIZE
    this.valueSize = VALUE_SIZE
    this.pool = Buffer.alloc(POOL_SIZE)
    const rng = mulberry32(seed + STREAM.pool)
    for (let i = 0; i < POOL_SIZE; i += 4) this.pool.writeUInt32LE(rng(), i)
    this.keys = null
    if (options.materialize !== false) {
      this.keys = Buffer.alloc(n * KEY_SIZE)
      for (let i = 0; i < n; i++) this.keys.write(keyString(i), i * KEY_SIZE, 'latin1')
    }
    this._putOrder = null
    this._getOrder = null
  }

  key (i) {
    if (this.keys === null) return Buffer.from(keyString(i), 'latin1')
    return this.keys.subarray(i * KEY_SIZE, (i + 1) * KEY_SIZE)
  }

  value (i) {
    const offset = (i * VALUE_STRIDE) % (POOL_SIZE - VALUE_SIZE)
    return this.pool.subarray(offset, offset + VALUE_SIZE)
  }

  /** The order of the "put random" workload: a permutation of 0..n-1. */
  get putOrder () {
    if (this._putOrder === null) this._putOrder = shuffled(this.n, this.seed + STREAM.putOrder)
    return this._putOrder
  }

  /** The order of the "get random" workload: another permutation. */
  get getOrder () {
    if (this._getOrder === null) this._getOrder = shuffled(this.n, this.seed + STREAM.getOrder)
    return this._getOrder
  }

  /** `count` indices drawn with replacement from stream `stream`. */
  randomIndices (count, stream) {
    const rng = mulberry32(this.seed + STREAM[stream])
    const out = new Uint32Array(count)
    for (let i = 0; i < count; i++) out[i] = rng() % this.n
    return out
  }
}

module.exports = { Dataset, KEY_SIZE, VALUE_SIZE, mulberry32, shuffled }
