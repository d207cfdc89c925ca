import { AbstractIterator } from 'abstract-level'
import type { AbstractIteratorOptions } from 'abstract-level'
import type { Bytes, NativeDatabase, NativeIterator, NativeSnapshot } from './native'

// Bits of the native iterator's flags (binding/iterator.h).
const REVERSE = 1 << 0
const KEYS = 1 << 1
const VALUES = 1 << 2
const HAS_LOWER = 1 << 3
const LOWER_EXCLUSIVE = 1 << 4
const HAS_UPPER = 1 << 5
const UPPER_EXCLUSIVE = 1 << 6

// The first read after creating or seeking fetches one entry, as it is common
// to want only one; later reads fetch up to this many at a time.
const FETCH_SIZE = 1000
const DEFAULT_HIGH_WATER_MARK_BYTES = 16 * 1024

/** Range and encoding options as abstract-level hands them to a backend. */
export interface NativeRangeOptions {
  gt?: Bytes
  gte?: Bytes
  lt?: Bytes
  lte?: Bytes
  reverse?: boolean
  limit?: number
  keys?: boolean
  values?: boolean
  keyEncoding?: string
  valueEncoding?: string
  snapshot?: { native: NativeSnapshot } | null
  highWaterMarkBytes?: number
}

/**
 * Opens a native iterator over the range. `gte` wins over `gt` and `lte`
 * over `lt`; a bound that is present counts even if empty.
 */
export function openNativeIterator (db: NativeDatabase, options: NativeRangeOptions, fields: number): NativeIterator {
  let flags = fields
  let lower: Bytes | undefined
  let upper: Bytes | undefined
  if ('gte' in options) {
    lower = options.gte
    flags |= HAS_LOWER
  } else if ('gt' in options) {
    lower = options.gt
    flags |= HAS_LOWER | LOWER_EXCLUSIVE
  }
  if ('lte' in options) {
    upper = options.lte
    flags |= HAS_UPPER
  } else if ('lt' in options) {
    upper = options.lt
    flags |= HAS_UPPER | UPPER_EXCLUSIVE
  }
  if (options.reverse === true) flags |= REVERSE
  return db.iterator(flags, lower, upper, options.snapshot?.native)
}

export const KEYS_ONLY = KEYS

type Entry<K, V> = [K, V]

/**
 * Reads entries in chunks: one native call fills one Buffer with many entries
 * (bounded by count and by `highWaterMarkBytes`), which is then decoded here.
 */
export class SophiaIterator<TDatabase, K, V> extends AbstractIterator<TDatabase, K, V> {
  readonly #native: NativeIterator
  readonly #keys: boolean
  readonly #values: boolean
  readonly #keyAsBuffer: boolean
  readonly #valueAsBuffer: boolean
  readonly #highWaterMarkBytes: number
  #chunk: Buffer | undefined = undefined
  #offset = 0
  #firstRead = true

  constructor (db: TDatabase, nativeDb: NativeDatabase, options: NativeRangeOptions) {
    super(db, options as AbstractIteratorOptions<K, V>)
    this.#keys = options.keys !== false
    this.#values = options.values !== false
    this.#keyAsBuffer = options.keyEncoding !== 'utf8'
    this.#valueAsBuffer = options.valueEncoding !== 'utf8'
    this.#highWaterMarkBytes = options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES
    this.#native = openNativeIterator(nativeDb, options, (this.#keys ? KEYS : 0) | (this.#values ? VALUES : 0))
  }

  async _next (): Promise<Entry<K, V> | undefined> {
    if (!this.#hasCached() && !this.#fetch(this.#firstRead ? 1 : FETCH_SIZE, this.#highWaterMarkBytes)) {
      return undefined
    }
    return this.#decodeEntry()
  }

  async _nextv (size: number): Promise<Array<Entry<K, V>>> {
    if (!this.#hasCached() && !this.#fetch(size, this.#highWaterMarkBytes)) return []
    const entries: Array<Entry<K, V>> = []
    while (entries.length < size && this.#hasCached()) entries.push(this.#decodeEntry())
    return entries
  }

  async _all (): Promise<Array<Entry<K, V>>> {
    const entries: Array<Entry<K, V>> = []
    while (true) {
      while (this.#hasCached()) entries.push(this.#decodeEntry())
      // all() is not bounded by highWaterMarkBytes, as in classic-level.
      if (!this.#fetch(FETCH_SIZE, Infinity, entries.length)) return entries
    }
  }

  _seek (target: Bytes): void {
    this.#chunk = undefined
    this.#native.seek(target)
    this.#firstRead = true
  }

  async _close (): Promise<void> {
    this.#chunk = undefined
    this.#native.close()
  }

  #hasCached (): boolean {
    return this.#chunk !== undefined && this.#offset < this.#chunk.length
  }

  // Fetches the next chunk, never past the limit; false at the end.
  #fetch (size: number, byteBudget: number, pending = 0): boolean {
    const remaining = this.limit - this.count - pending
    if (remaining <= 0) return false
    const chunk = this.#native.nextv(Math.min(size, remaining), byteBudget)
    this.#firstRead = false
    if (chunk === undefined) {
      this.#chunk = undefined
      return false
    }
    this.#chunk = chunk
    this.#offset = 0
    return true
  }

  #decodeEntry (): Entry<K, V> {
    const chunk = this.#chunk as Buffer
    let offset = this.#offset
    let key: unknown
    let value: unknown
    if (this.#keys) {
      const size = chunk.readUInt32LE(offset)
      offset += 4
      key = this.#keyAsBuffer ? chunk.subarray(offset, offset + size) : chunk.toString('utf8', offset, offset + size)
      offset += size
    }
    if (this.#values) {
      const size = chunk.readUInt32LE(offset)
      offset += 4
      value = this.#valueAsBuffer ? chunk.subarray(offset, offset + size) : chunk.toString('utf8', offset, offset + size)
      offset += size
    }
    this.#offset = offset
    return [key as K, value as V]
  }
}
