// Imported: the global Buffer is a getter, called at every use.
import { Buffer } from 'buffer'
import { AbstractIterator, AbstractKeyIterator, AbstractValueIterator } from 'abstract-level'
import type { AbstractIteratorOptions, AbstractKeyIteratorOptions, AbstractValueIteratorOptions } from 'abstract-level'
import ModuleError = require('module-error')
import type { Bytes, NativeEnvironment, NativeIterator, NativeSnapshot, NativeTransaction } from './native'
import { EncodedPrefix, narrowToPrefix } from './prefix'

/** A database in the native layer: its environment and its index there. */
export interface NativeDatabase {
  environment: NativeEnvironment
  index: number
}

// Bits of the native iterator's flags (binding/iterator.h).
const REVERSE = 1 << 0
const KEYS = 1 << 1
const VALUES = 1 << 2
const HAS_LOWER = 1 << 3
const LOWER_EXCLUSIVE = 1 << 4
const HAS_UPPER = 1 << 5
const UPPER_EXCLUSIVE = 1 << 6

export const KEYS_ONLY = KEYS

// The first read after creating or seeking fetches one entry, as it is common
// to want only one; later reads fetch up to this many at a time.
const FETCH_SIZE = 1000
const MAX_FETCH = 0x7fffffff
const DEFAULT_HIGH_WATER_MARK_BYTES = 16 * 1024
const EMPTY_MEMORY = new ArrayBuffer(0)

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
  transaction?: { native: NativeTransaction } | null
  signal?: AbortSignal | null
  highWaterMarkBytes?: number
  prefix?: EncodedPrefix
}

/**
 * Opens a native iterator over the range, narrowed to the prefix if there is
 * one. `gte` wins over `gt` and `lte` over `lt`; a bound that is present
 * counts even if empty.
 */
export function openNativeIterator (db: NativeDatabase, options: NativeRangeOptions, fields: number): NativeIterator {
  const prefix = options.prefix
  if (prefix !== undefined) {
    if (!(prefix instanceof EncodedPrefix)) throw new TypeError("The 'prefix' option must be a key")
    const { gt, gte, lt, lte, ...rest } = options
    options = { ...rest, ...narrowToPrefix({ gt, gte, lt, lte }, prefix.bytes) }
  }
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
  const transaction = options.transaction
  if (transaction != null && (typeof transaction !== 'object' || typeof transaction.native !== 'object')) {
    throw new TypeError('The transaction option must be a transaction of this database\'s environment')
  }
  const budget = options.highWaterMarkBytes
  if (budget !== undefined && typeof budget !== 'number') {
    throw new TypeError("The 'highWaterMarkBytes' option must be a number")
  }
  return db.environment.iterator(db.index, flags, lower, upper, options.snapshot?.native, options.transaction?.native)
}

function openUnlessSnapshotClosed (db: NativeDatabase, options: NativeRangeOptions, fields: number): NativeIterator | null {
  try {
    return openNativeIterator(db, options, fields)
  } catch (err) {
    if ((err as { code?: unknown }).code === 'LEVEL_SNAPSHOT_NOT_OPEN') return null
    throw err
  }
}

class AbortError extends ModuleError {
  constructor () {
    super('Operation has been aborted', { code: 'LEVEL_ABORTED' })
  }

  override get name (): string {
    return 'AbortError'
  }
}

/**
 * Reads from a native iterator in chunks: one native call fills one Buffer
 * with many entries (bounded by count and by `highWaterMarkBytes`), decoded
 * here into keys, values or entries. Shared by the three iterator kinds.
 */
class ChunkReader<T> {
  // null when created from a snapshot already closed: then, as in
  // classic-level, the iterator exists and its first read rejects (with
  // LEVEL_SNAPSHOT_NOT_OPEN, from abstract-level's own check).
  readonly #native: NativeIterator | null
  readonly #decode: (reader: ChunkReader<T>) => T
  readonly #keyAsBuffer: boolean
  readonly #valueAsBuffer: boolean
  readonly #highWaterMarkBytes: number
  readonly #signal: AbortSignal | null
  #chunk: Buffer | undefined = undefined
  // The chunk's memory, for making views into it: reading chunk.buffer per
  // key and value costs a call into V8's runtime each time.
  #chunkMemory: ArrayBufferLike = EMPTY_MEMORY
  #chunkStart = 0
  #offset = 0
  #firstRead = true

  constructor (db: NativeDatabase, options: NativeRangeOptions, fields: number, decode: (reader: ChunkReader<T>) => T) {
    this.#native = openUnlessSnapshotClosed(db, options, fields)
    this.#decode = decode
    this.#keyAsBuffer = options.keyEncoding !== 'utf8'
    this.#valueAsBuffer = options.valueEncoding !== 'utf8'
    this.#highWaterMarkBytes = options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES
    this.#signal = options.signal ?? null
  }

  // `remaining` is how many more entries the iterator's limit allows.
  // Reads are synchronous; deliver() turns a result into the promise the
  // iterator returns.
  next (remaining: number): T | undefined {
    if (!this.#hasCached() && !this.#fetch(this.#firstRead ? 1 : FETCH_SIZE, this.#highWaterMarkBytes, remaining)) {
      return undefined
    }
    return this.#decode(this)
  }

  nextv (size: number, remaining: number): T[] {
    const items: T[] = []
    if (this.#hasCached() || this.#fetch(size, this.#highWaterMarkBytes, remaining)) {
      while (items.length < size && this.#hasCached()) items.push(this.#decode(this))
    }
    return items
  }

  all (remaining: number): T[] {
    const items: T[] = []
    do {
      while (this.#hasCached()) items.push(this.#decode(this))
      // all() is not bounded by highWaterMarkBytes, as in classic-level.
    } while (this.#fetch(FETCH_SIZE, Infinity, remaining - items.length))
    return items
  }

  // next() reads on a later microtask, as classic-level's asynchronous read
  // does: read at once, deep in a recursion, it could exhaust the stack inside
  // abstract-level's next(), after it marked the iterator busy and before its
  // finally block cleared that, leaving close() waiting forever.
  later<R> (read: () => R): Promise<R> {
    return Promise.resolve().then(() => this.deliver(read()))
  }

  // Reads complete synchronously, so a signal can only abort one by the time
  // its promise settles: an abort in between rejects the read, as it would
  // an asynchronous one.
  deliver<R> (result: R): Promise<R> {
    if (this.#signal === null) return Promise.resolve(result)
    const signal = this.#signal
    return Promise.resolve().then(() => {
      if (signal.aborted) throw new AbortError()
      return result
    })
  }

  seek (target: Bytes): void {
    this.#chunk = undefined
    this.#firstRead = true
    this.#native?.seek(target)
  }

  close (): void {
    this.#chunk = undefined
    this.#chunkMemory = EMPTY_MEMORY
    this.#native?.close()
  }

  key (): unknown {
    return this.#field(this.#keyAsBuffer)
  }

  value (): unknown {
    return this.#field(this.#valueAsBuffer)
  }

  #hasCached (): boolean {
    return this.#chunk !== undefined && this.#offset < this.#chunk.length
  }

  #fetch (size: number, byteBudget: number, remaining: number): boolean {
    if (remaining <= 0 || this.#native === null) return false
    // The native side counts in 32 bits.
    const chunk = this.#native.nextv(Math.min(size, remaining, MAX_FETCH), byteBudget)
    this.#firstRead = false
    this.#chunk = chunk
    this.#offset = 0
    if (chunk === undefined) return false
    this.#chunkMemory = chunk.buffer
    this.#chunkStart = chunk.byteOffset
    return true
  }

  #field (asBuffer: boolean): unknown {
    const chunk = this.#chunk as Buffer
    const offset = this.#offset
    const size = (chunk[offset] | (chunk[offset + 1] << 8) | (chunk[offset + 2] << 16) | (chunk[offset + 3] << 24)) >>> 0
    const start = offset + 4
    const end = start + size
    this.#offset = end
    // Buffer.from(arrayBuffer, …) makes the same view as subarray(), faster.
    return asBuffer ? Buffer.from(this.#chunkMemory, this.#chunkStart + start, size) : chunk.toString('utf8', start, end)
  }
}

const decodeEntry = <K, V>(reader: ChunkReader<[K, V]>): [K, V] => [reader.key() as K, reader.value() as V]

interface ChunkSource<T> {
  nextv (size: number): Promise<T[]>
  close (): Promise<void>
}

/**
 * What `for await` reads: it takes a whole chunk of entries per nextv()
 * call, where abstract-level's default goes through next() for every entry,
 * at several times the cost. A plain object rather than an async generator,
 * which would add promise turns per entry. Ending, breaking out of the loop
 * and a failed read all close the iterator.
 */
class ChunkedAsyncIterator<T> implements AsyncGenerator<T, void, unknown> {
  readonly #source: ChunkSource<T>
  #items: T[] = []
  #index = 0
  #ended = false

  constructor (source: ChunkSource<T>) {
    this.#source = source
  }

  [Symbol.asyncIterator] (): this {
    return this
  }

  async next (): Promise<IteratorResult<T, void>> {
    if (this.#index < this.#items.length) return { value: this.#items[this.#index++], done: false }
    if (this.#ended) return { value: undefined, done: true }
    let items: T[]
    try {
      items = await this.#source.nextv(FETCH_SIZE)
    } catch (err) {
      this.#ended = true
      await this.#source.close().catch(() => {})
      throw err
    }
    if (items.length === 0) return this.return()
    this.#items = items
    this.#index = 1
    return { value: items[0], done: false }
  }

  async return (): Promise<IteratorResult<T, void>> {
    this.#ended = true
    this.#items = []
    await this.#source.close()
    return { value: undefined, done: true }
  }

  async throw (err: unknown): Promise<IteratorResult<T, void>> {
    await this.return()
    throw err
  }
}

/** An iterator of entries, or of keys or values alone when `keys` or `values` is false. */
export class SophiaIterator<TDatabase, K, V> extends AbstractIterator<TDatabase, K, V> {
  readonly #reader: ChunkReader<[K, V]>

  constructor (db: TDatabase, nativeDb: NativeDatabase, options: NativeRangeOptions) {
    const keys = options.keys !== false
    const values = options.values !== false
    const decode = keys && values
      ? decodeEntry
      : keys
        ? (reader: ChunkReader<[K, V]>): [K, V] => [reader.key() as K, undefined as V]
        : (reader: ChunkReader<[K, V]>): [K, V] => [undefined as K, reader.value() as V]
    // Opened before super() attaches the iterator to the database, so that
    // a failure leaves nothing behind.
    const reader = new ChunkReader(nativeDb, options, (keys ? KEYS : 0) | (values ? VALUES : 0), decode)
    super(db, options as AbstractIteratorOptions<K, V>)
    this.#reader = reader
  }

  _next (): Promise<[K, V] | undefined> {
    return this.#reader.later(() => this.#reader.next(this.limit - this.count))
  }

  _nextv (size: number): Promise<Array<[K, V]>> {
    return this.#reader.deliver(this.#reader.nextv(size, this.limit - this.count))
  }

  _all (): Promise<Array<[K, V]>> {
    return this.#reader.deliver(this.#reader.all(this.limit - this.count))
  }

  _seek (target: Bytes): void {
    this.#reader.seek(target)
  }

  override [Symbol.asyncIterator] (): AsyncGenerator<[K, V], void, unknown> {
    return new ChunkedAsyncIterator<[K, V]>(this)
  }

  async _close (): Promise<void> {
    this.#reader.close()
  }
}

/** An iterator of keys (db.keys()). */
export class SophiaKeyIterator<TDatabase, K> extends AbstractKeyIterator<TDatabase, K> {
  readonly #reader: ChunkReader<K>

  constructor (db: TDatabase, nativeDb: NativeDatabase, options: NativeRangeOptions) {
    const reader = new ChunkReader(nativeDb, options, KEYS, (r: ChunkReader<K>) => r.key() as K)
    super(db, options as AbstractKeyIteratorOptions<K>)
    this.#reader = reader
  }

  _next (): Promise<K | undefined> {
    return this.#reader.later(() => this.#reader.next(this.limit - this.count))
  }

  _nextv (size: number): Promise<K[]> {
    return this.#reader.deliver(this.#reader.nextv(size, this.limit - this.count))
  }

  _all (): Promise<K[]> {
    return this.#reader.deliver(this.#reader.all(this.limit - this.count))
  }

  _seek (target: Bytes): void {
    this.#reader.seek(target)
  }

  override [Symbol.asyncIterator] (): AsyncGenerator<K, void, unknown> {
    return new ChunkedAsyncIterator<K>(this)
  }

  async _close (): Promise<void> {
    this.#reader.close()
  }
}

/** An iterator of values (db.values()). */
export class SophiaValueIterator<TDatabase, K, V> extends AbstractValueIterator<TDatabase, K, V> {
  readonly #reader: ChunkReader<V>

  constructor (db: TDatabase, nativeDb: NativeDatabase, options: NativeRangeOptions) {
    const reader = new ChunkReader(nativeDb, options, VALUES, (r: ChunkReader<V>) => r.value() as V)
    super(db, options as AbstractValueIteratorOptions<K, V>)
    this.#reader = reader
  }

  _next (): Promise<V | undefined> {
    return this.#reader.later(() => this.#reader.next(this.limit - this.count))
  }

  _nextv (size: number): Promise<V[]> {
    return this.#reader.deliver(this.#reader.nextv(size, this.limit - this.count))
  }

  _all (): Promise<V[]> {
    return this.#reader.deliver(this.#reader.all(this.limit - this.count))
  }

  _seek (target: Bytes): void {
    this.#reader.seek(target)
  }

  override [Symbol.asyncIterator] (): AsyncGenerator<V, void, unknown> {
    return new ChunkedAsyncIterator<V>(this)
  }

  async _close (): Promise<void> {
    this.#reader.close()
  }
}
