'use strict'

// Keys, values and range bounds for one run, in the run's encoding:
// Buffers ('buffer'), plain Uint8Arrays ('view') or strings ('utf8').
// Keys come from a pool of keys seen before (so reads, deletes and bounds
// hit stored data) and from shapes chosen to meet at the edges: empty keys,
// zero and 0xff bytes, shared prefixes, keys of exactly the limit and one
// byte over it.

const MAX_KEY = 1024

// Single bytes whose order matters: 0x00 sorts first, 0xff last.
const BYTE_ATOMS = [0x00, 0x01, 0x61, 0x62, 0x7f, 0x80, 0xfe, 0xff]
// Characters of 1 to 4 UTF-8 bytes, at the edges of each length. In bytes
// '\uffff' (ef bf bf) sorts before '😀' (f0 9f 98 80), unlike in UTF-16.
const TEXT_ATOMS = ['\u0000', '\u0001', 'a', 'b', 'z', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '€', '\uffff', '😀', '\u{10ffff}']
// Lone surrogates become ef bf bd in UTF-8, on both sides; rarely used.
const LONE_SURROGATES = ['\ud800', '\udfff']
const FILL_BYTES = [0x6b, 0x00, 0xff]
const FILL_CHARS = ['k', '\u0000', '\u007f']

function toBytes (x) {
  if (typeof x === 'string') return Buffer.from(x, 'utf8')
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength)
  throw new TypeError(`Not a key or value: ${typeof x}`)
}

function byteLength (x) {
  return typeof x === 'string' ? Buffer.byteLength(x, 'utf8') : x.byteLength
}

// The bytes `buf` written in `encoding`, as a caller would pass them.
function represent (buf, encoding) {
  switch (encoding) {
    case 'buffer': return Buffer.from(buf)
    case 'view': return new Uint8Array(buf)
    case 'utf8': return buf.toString('utf8')
    case 'hex': return buf.toString('hex')
    case 'base64': return buf.toString('base64')
    default: throw new Error(`Unknown encoding ${encoding}`)
  }
}

// A copy, so that the two databases never share a Buffer.
function clone (x) {
  if (Buffer.isBuffer(x)) return Buffer.from(x)
  if (x instanceof Uint8Array) return new Uint8Array(x)
  return x
}

class Data {
  constructor (rng, mode, profile) {
    this.rng = rng
    this.mode = mode
    this.text = mode === 'utf8'
    this.profile = profile
    this.pool = []
    this.poolIds = new Set()
    this.longPool = []
  }

  fromBytes (buf) {
    return represent(buf, this.mode)
  }

  concat (parts) {
    if (this.text) return parts.join('')
    return this.fromBytes(Buffer.concat(parts.map(toBytes)))
  }

  atom () {
    if (this.text) {
      return this.rng.chance(0.01) ? this.rng.pick(LONE_SURROGATES) : this.rng.pick(TEXT_ATOMS)
    }
    return this.fromBytes(Buffer.from([this.rng.pick(BYTE_ATOMS)]))
  }

  atoms (n) {
    const parts = []
    for (let i = 0; i < n; i++) parts.push(this.atom())
    return this.concat(parts)
  }

  remember (key) {
    const id = toBytes(key).toString('latin1')
    if (this.poolIds.has(id)) return
    this.poolIds.add(id)
    this.pool.push(key)
    if (byteLength(key) >= 900) this.longPool.push(key)
    if (this.pool.length > 400) {
      const [old] = this.pool.splice(this.rng.int(this.pool.length), 1)
      this.poolIds.delete(toBytes(old).toString('latin1'))
    }
    if (this.longPool.length > 40) this.longPool.splice(this.rng.int(this.longPool.length), 1)
  }

  // A key of exactly `size` bytes (in utf8 mode it may hold fewer
  // characters: a multi-byte character often ends it).
  sized (size) {
    const rng = this.rng
    if (this.longPool.length > 0 && rng.chance(0.3)) {
      // Share all but the last few bytes with a long key seen before.
      const base = toBytes(rng.pick(this.longPool))
      const keep = Math.max(0, Math.min(base.length, size) - rng.between(1, 4))
      return this.pad(this.fromBytes(base.subarray(0, keep)), size)
    }
    const head = rng.chance(0.5) ? this.atoms(rng.between(0, 2)) : this.empty()
    return this.pad(head, size)
  }

  // `head` filled up to exactly `size` bytes, ending with a random tail.
  pad (head, size) {
    const rng = this.rng
    if (this.text) {
      let tail = rng.chance(0.6) ? rng.pick(TEXT_ATOMS) : ''
      // Cut the head at a character boundary when it is too long.
      let chars = Array.from(head)
      while (Buffer.byteLength(chars.join('') + tail) > size && chars.length > 0) chars.pop()
      head = chars.join('')
      if (Buffer.byteLength(head + tail) > size) tail = ''
      const fill = size - Buffer.byteLength(head + tail)
      chars = null
      return head + rng.pick(FILL_CHARS).repeat(fill) + tail
    }
    const buf = Buffer.alloc(size, rng.pick(FILL_BYTES))
    const headBytes = toBytes(head).subarray(0, size)
    headBytes.copy(buf)
    const tailSize = Math.min(size - headBytes.length, rng.between(0, 3))
    for (let i = size - tailSize; i < size; i++) buf[i] = rng.pick(BYTE_ATOMS)
    return this.fromBytes(buf)
  }

  empty () {
    return this.text ? '' : this.fromBytes(Buffer.alloc(0))
  }

  // A key that fits `limit` bytes (the limit minus any sublevel prefix);
  // keys from the pool may not, which makes the operation one that must be
  // rejected: the runner decides that from the actual size.
  key (limit = MAX_KEY) {
    const rng = this.rng
    const kind = rng.weighted({
      pool: this.pool.length > 0 ? 45 : 0,
      short: 17,
      derived: this.pool.length > 0 ? 10 : 0,
      long: 8,
      run: 5,
      random: 8,
      counter: 7
    })
    switch (kind) {
      case 'pool': return rng.pick(this.pool)
      case 'short': return this.atoms(rng.between(0, 4))
      case 'derived': {
        const base = rng.pick(this.pool)
        const bytes = toBytes(base)
        const how = rng.int(3)
        if (how === 0 && byteLength(base) < limit) return this.concat([base, this.atom()])
        if (how === 1 && bytes.length > 0) {
          if (this.text) {
            const chars = Array.from(base)
            return chars.slice(0, rng.int(chars.length)).join('')
          }
          return this.fromBytes(bytes.subarray(0, rng.int(bytes.length)))
        }
        if (!this.text && bytes.length > 0) {
          // The last byte one up or down: a neighbour in sort order.
          const copy = Buffer.from(bytes)
          copy[copy.length - 1] = (copy[copy.length - 1] + (rng.chance(0.5) ? 1 : 255)) & 0xff
          return this.fromBytes(copy)
        }
        return this.concat([base, this.atom()])
      }
      case 'long': {
        const size = rng.weighted({ exact: 40, minusOne: 15, near: 25, wide: 20 })
        if (size === 'exact') return this.sized(limit)
        if (size === 'minusOne') return this.sized(limit - 1)
        if (size === 'near') return this.sized(rng.between(limit - 24, limit - 2))
        return this.sized(rng.between(100, limit))
      }
      case 'run': {
        const byte = rng.chance(0.5) ? 0xff : 0x00
        const size = rng.chance(0.8) ? rng.between(1, 8) : rng.between(9, limit)
        if (this.text) return (byte === 0 ? '\u0000' : '\uffff').repeat(byte === 0 ? size : Math.floor(size / 3) || 1)
        return this.fromBytes(Buffer.alloc(size, byte))
      }
      case 'random': {
        if (this.text) return this.atoms(rng.between(5, 20))
        return this.fromBytes(rng.bytes(rng.between(1, 64)))
      }
      default: {
        const text = 'k' + String(rng.int(1000)).padStart(5, '0')
        return this.text ? text : this.fromBytes(Buffer.from(text))
      }
    }
  }

  // A key over `limit` bytes: mostly exactly one byte over (in utf8 mode
  // often fewer characters than bytes), sometimes far over.
  tooLargeKey (limit = MAX_KEY) {
    const rng = this.rng
    const size = rng.weighted({ one: 70, few: 20, far: 10 })
    if (size === 'one') return this.sized(limit + 1)
    if (size === 'few') return this.sized(rng.between(limit + 2, limit + 64))
    return this.sized(rng.between(2000, 5000))
  }

  // A range bound or seek target: no size limit applies.
  bound (limit = MAX_KEY) {
    const rng = this.rng
    const kind = rng.weighted({ key: 70, edge: 15, huge: 8, empty: 7 })
    if (kind === 'key') return this.key(limit)
    if (kind === 'huge') return this.tooLargeKey(MAX_KEY)
    if (kind === 'empty') return this.empty()
    // Just after, far after or just before a stored key. For a key of the
    // limit's size, the first two are longer than any key, yet start with
    // a stored one.
    const pool = this.longPool.length > 0 && rng.chance(0.35) ? this.longPool : this.pool
    const base = pool.length > 0 ? rng.pick(pool) : this.key(limit)
    const edge = rng.int(4)
    if (edge === 0) return this.concat([base, this.text ? '\u0000' : this.fromBytes(Buffer.from([0]))])
    if (edge === 1) return this.concat([base, this.text ? '\uffff' : this.fromBytes(Buffer.from([0xff]))])
    if (edge === 2) return this.concat([base, this.atoms(rng.between(1, 8))])
    const bytes = toBytes(base)
    return this.fromBytes(bytes.subarray(0, Math.max(0, bytes.length - 1)))
  }

  value () {
    const rng = this.rng
    const kind = rng.weighted({
      empty: 8,
      short: 45,
      medium: 25,
      kilo: 12,
      large: this.profile.large,
      huge: this.profile.huge
    })
    switch (kind) {
      case 'empty': return this.empty()
      case 'short': return this.text ? this.atoms(rng.between(1, 16)) : this.fromBytes(rng.bytes(rng.between(1, 16)))
      case 'medium': return this.blob(rng.between(17, 300))
      case 'kilo': return this.blob(rng.between(301, 4096))
      case 'large': return this.blob(rng.between(16 * 1024, 64 * 1024))
      default: return this.blob(rng.between(100 * 1024, 500 * 1024))
    }
  }

  // About `size` bytes: a random block repeated, with a few random bytes
  // sprinkled in (cheap to make, still not uniform).
  blob (size) {
    const rng = this.rng
    if (this.text) {
      const block = this.atoms(rng.between(8, 40)) + 'abcdefghijklmnop'.slice(rng.int(16))
      const blockBytes = Buffer.byteLength(block)
      return block.repeat(Math.max(1, Math.floor(size / blockBytes))) + this.atoms(rng.between(0, 4))
    }
    const block = rng.bytes(rng.between(1, 64))
    const buf = Buffer.allocUnsafe(size)
    for (let i = 0; i < size; i += block.length) block.copy(buf, i, 0, Math.min(block.length, size - i))
    for (let i = rng.between(0, 8); i > 0; i--) buf[rng.int(size)] = rng.int(256)
    return this.fromBytes(buf)
  }
}

module.exports = { Data, MAX_KEY, toBytes, byteLength, represent, clone }
