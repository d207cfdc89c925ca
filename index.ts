import { AbstractLevel } from 'abstract-level'
import type {
  AbstractBatchOperation,
  AbstractBatchOptions,
  AbstractChainedBatch,
  AbstractDatabaseOptions,
  AbstractOpenOptions
} from 'abstract-level'
import { SophiaChainedBatch } from './chained-batch'
import { KEYS_ONLY, SophiaIterator, SophiaKeyIterator, SophiaValueIterator, openNativeIterator } from './iterator'
import type { NativeRangeOptions } from './iterator'
import { BATCH_DEL, BATCH_PUT, NativeDatabaseClass } from './native'
import type { Bytes, NativeDatabase, NativeSnapshot, NativeTransaction } from './native'
import { SophiaSnapshot } from './snapshot'
import { SophiaTransaction } from './transaction'
import ModuleError = require('module-error')

/** Options of the SophiaLevel constructor. */
export interface DatabaseOptions<K, V> extends AbstractDatabaseOptions<K, V> {
  /**
   * Sophia's background threads for this database (flushing the in-memory
   * index to disk, compaction, log rotation and garbage collection).
   * An integer from 1 to 64. Default 1.
   */
  threads?: number | undefined
}

/** Options of db.open(). */
export interface OpenOptions extends AbstractOpenOptions {}

interface ReadOptions {
  keyEncoding?: string
  valueEncoding?: string
  snapshot?: SophiaSnapshot | null
  transaction?: SophiaTransaction<any, any> | null
}

/** Options of the managed form of db.transaction(fn, options). */
export interface ManagedTransactionOptions {
  /**
   * How many times to run `fn` again, against a fresh snapshot, after a
   * SOPHIA_TRANSACTION_CONFLICT. Default 10.
   */
  retries?: number | undefined
  /** Commit with `sync: true`. Default false. */
  sync?: boolean | undefined
}

interface WriteOptions {
  sync?: boolean
}

interface BatchOperation {
  type: 'put' | 'del'
  key: Bytes
  value?: Bytes
}

// Keys deleted per transaction by clear(), between which the event loop runs.
const CLEAR_CHUNK = 1000
const DEFAULT_THREADS = 1
const DEFAULT_RETRIES = 10
const MAX_THREADS = 64

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function checkLocation (location: unknown): string {
  if (typeof location !== 'string' || location === '') {
    throw new TypeError("The first argument 'location' must be a non-empty string")
  }
  return location
}

function checkThreads (threads: unknown): number {
  if (threads === undefined) return DEFAULT_THREADS
  if (typeof threads !== 'number') throw new TypeError("The 'threads' option must be a number")
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`The 'threads' option must be an integer from 1 to ${MAX_THREADS}`)
  }
  return threads
}

function nativeSnapshot (options: ReadOptions): NativeSnapshot | undefined {
  return options.snapshot?.native
}

// Backs off a little more after each conflict, with jitter, so that
// transactions that keep colliding spread out.
function backOff (attempt: number): Promise<void> {
  const milliseconds = Math.random() * Math.min(50, 2 ** attempt)
  return new Promise((resolve) => setTimeout(resolve, milliseconds))
}

/**
 * An abstract-level database backed by Sophia 2.2. A drop-in for
 * ClassicLevel: same constructor, same behaviour, plus Sophia's extras.
 */
export class SophiaLevel<KDefault = string, VDefault = string>
  extends AbstractLevel<string | Buffer | Uint8Array, KDefault, VDefault> {
  readonly #location: string
  readonly #threads: number
  readonly #native: NativeDatabase
  // clear() runs in chunks across event-loop turns; close() waits for it.
  readonly #pendingClears = new Set<Promise<void>>()

  constructor (location: string, options?: DatabaseOptions<KDefault, VDefault>) {
    const checkedLocation = checkLocation(location)
    const threads = checkThreads(options?.threads)
    super({
      encodings: { buffer: true, utf8: true, view: true },
      has: true,
      // @ts-expect-error level-supports' IManifest does not know getSync yet.
      getSync: true,
      implicitSnapshots: true,
      explicitSnapshots: true,
      createIfMissing: true,
      errorIfExists: true,
      permanence: true,
      seek: true,
      signals: { iterators: true },
      additionalMethods: {}
    }, options)
    this.#location = checkedLocation
    this.#threads = threads
    this.#native = new NativeDatabaseClass()
  }

  /** The directory of the database. */
  get location (): string {
    return this.#location
  }

  async _open (options: { createIfMissing?: boolean, errorIfExists?: boolean }): Promise<void> {
    await this.#native.open(this.#location, options.createIfMissing !== false, options.errorIfExists === true, this.#threads)
  }

  async _close (): Promise<void> {
    await Promise.allSettled(this.#pendingClears)
    await this.#native.close()
  }

  async _get (key: Bytes, options: ReadOptions): Promise<string | Buffer | undefined> {
    return this._getSync(key, options)
  }

  _getSync (key: Bytes, options: ReadOptions): string | Buffer | undefined {
    const asBuffer = options.valueEncoding !== 'utf8'
    if (options.transaction != null) return this.#transactionOf(options).get(key, asBuffer)
    return this.#native.get(key, asBuffer, nativeSnapshot(options))
  }

  async _getMany (keys: Bytes[], options: ReadOptions): Promise<Array<string | Buffer | undefined>> {
    const asBuffer = options.valueEncoding !== 'utf8'
    if (options.transaction != null) return this.#transactionOf(options).getMany(keys, asBuffer)
    return this.#native.getMany(keys, asBuffer, nativeSnapshot(options))
  }

  async _has (key: Bytes, options: ReadOptions): Promise<boolean> {
    if (options.transaction != null) return this.#transactionOf(options).has(key)
    return this.#native.has(key, nativeSnapshot(options))
  }

  async _hasMany (keys: Bytes[], options: ReadOptions): Promise<boolean[]> {
    if (options.transaction != null) return this.#transactionOf(options).hasMany(keys)
    return this.#native.hasMany(keys, nativeSnapshot(options))
  }

  // The native transaction named by a read's `transaction` option.
  #transactionOf (options: ReadOptions): NativeTransaction {
    const transaction = options.transaction
    if (!(transaction instanceof SophiaTransaction) || transaction.db !== this) {
      throw new TypeError('The transaction option must be a transaction of this database')
    }
    if (options.snapshot != null) throw new TypeError('The snapshot and transaction options cannot be combined')
    return transaction.native
  }

  async _put (key: Bytes, value: Bytes, options: WriteOptions): Promise<void> {
    this.#native.put(key, value)
    if (options.sync === true) await this.#native.syncLog()
  }

  async _del (key: Bytes, options: WriteOptions): Promise<void> {
    this.#native.del(key)
    if (options.sync === true) await this.#native.syncLog()
  }

  // Array batches skip abstract-level's per-operation cloning and encoding
  // lookups when nothing needs them: no prewrite hook, no 'write' listener,
  // no sublevel or per-operation encodings. Anything else, or anything
  // unexpected in an operation, goes through abstract-level as usual.
  override batch (operations: Array<AbstractBatchOperation<typeof this, KDefault, VDefault>>): Promise<void>
  override batch<K = KDefault, V = VDefault> (operations: Array<AbstractBatchOperation<typeof this, K, V>>, options: AbstractBatchOptions<K, V>): Promise<void>
  override batch (): AbstractChainedBatch<typeof this, KDefault, VDefault>
  override batch (...args: unknown[]): unknown {
    if (args.length > 0 && this.status === 'open' && this.#hasNoPrewriteHook() && this.listenerCount('write') === 0) {
      const flat = this.#flattenPlainBatch(args[0], args[1])
      if (flat !== null) return this.#writeBatch(flat, (args[1] ?? {}) as WriteOptions)
    }
    // @ts-expect-error The overloads above accept exactly these arguments.
    return super.batch(...args)
  }

  #hasNoPrewriteHook (): boolean {
    // `noop` is abstract-level's own flag; its types leave it out.
    return (this.hooks.prewrite as unknown as { noop: boolean }).noop
  }

  // The native form of a batch of plain operations in the database's own
  // encodings, or null if it needs abstract-level's full treatment.
  #flattenPlainBatch (operations: unknown, options: unknown): unknown[] | null {
    if (!Array.isArray(operations) || operations.length === 0) return null
    if (options != null) {
      if (typeof options !== 'object') return null
      const { keyEncoding, valueEncoding } = options as { keyEncoding?: unknown, valueEncoding?: unknown }
      if (keyEncoding !== undefined || valueEncoding !== undefined) return null
    }
    const keyEncoding = this.keyEncoding()
    const valueEncoding = this.valueEncoding()
    const flat = new Array<unknown>(operations.length * 3)
    try {
      for (let i = 0, j = 0; i < operations.length; i++, j += 3) {
        const operation = operations[i]
        if (typeof operation !== 'object' || operation === null || operation.sublevel != null ||
            operation.keyEncoding !== undefined || operation.valueEncoding !== undefined || operation.key == null) {
          return null
        }
        if (operation.type === 'put') {
          if (operation.value == null) return null
          flat[j] = BATCH_PUT
          flat[j + 2] = valueEncoding.encode(operation.value)
        } else if (operation.type === 'del') {
          flat[j] = BATCH_DEL
        } else {
          return null
        }
        flat[j + 1] = keyEncoding.encode(operation.key)
      }
    } catch {
      // Let abstract-level report the encoding error in its own words.
      return null
    }
    return flat
  }

  async _batch (operations: BatchOperation[], options: WriteOptions): Promise<void> {
    const flat = new Array<unknown>(operations.length * 3)
    for (let i = 0, j = 0; i < operations.length; i++, j += 3) {
      const operation = operations[i]
      flat[j] = operation.type === 'put' ? BATCH_PUT : BATCH_DEL
      flat[j + 1] = operation.key
      flat[j + 2] = operation.value
    }
    await this.#writeBatch(flat, options)
  }

  _chainedBatch (): SophiaChainedBatch<typeof this, KDefault, VDefault> {
    return new SophiaChainedBatch(this, (operations, options) => this.#writeBatch(operations, options))
  }

  _iterator (options: NativeRangeOptions): SophiaIterator<typeof this, KDefault, VDefault> {
    return new SophiaIterator(this, this.#native, options)
  }

  _keys (options: NativeRangeOptions): SophiaKeyIterator<typeof this, KDefault> {
    return new SophiaKeyIterator(this, this.#native, options)
  }

  _values (options: NativeRangeOptions): SophiaValueIterator<typeof this, KDefault, VDefault> {
    return new SophiaValueIterator(this, this.#native, options)
  }

  async _clear (options: NativeRangeOptions): Promise<void> {
    const clearing = this.#clearRange(options)
    this.#pendingClears.add(clearing)
    try {
      await clearing
    } finally {
      this.#pendingClears.delete(clearing)
    }
  }

  async #clearRange (options: NativeRangeOptions): Promise<void> {
    if (options.transaction != null) {
      throw new ModuleError('clear() does not take a transaction: delete the keys with tx.del()', {
        code: 'LEVEL_NOT_SUPPORTED'
      })
    }
    const iterator = openNativeIterator(this.#native, options, KEYS_ONLY)
    let remaining = options.limit !== undefined && options.limit >= 0 ? options.limit : Infinity
    try {
      while (remaining > 0) {
        const deleted = iterator.deleteNext(Math.min(CLEAR_CHUNK, remaining))
        if (deleted === 0) break
        remaining -= deleted
        await yieldToEventLoop()
      }
    } finally {
      iterator.close()
    }
  }

  _snapshot (options: { owner: unknown }): SophiaSnapshot {
    return new SophiaSnapshot(options, this.#native.snapshot())
  }

  /**
   * Begins an interactive transaction. With a function, runs it in a
   * transaction that commits when the function's promise resolves and rolls
   * back when it rejects, running it again on a conflict (see
   * ManagedTransactionOptions); resolves with what the function returned.
   */
  transaction (): SophiaTransaction<KDefault, VDefault>
  transaction<T> (fn: (transaction: SophiaTransaction<KDefault, VDefault>) => T | Promise<T>, options?: ManagedTransactionOptions): Promise<T>
  transaction<T> (fn?: (transaction: SophiaTransaction<KDefault, VDefault>) => T | Promise<T>, options?: ManagedTransactionOptions): SophiaTransaction<KDefault, VDefault> | Promise<T> {
    if (fn === undefined) return this.#beginTransaction()
    if (typeof fn !== 'function') throw new TypeError('The first argument must be a function, if given')
    return this.#runTransaction(fn, options)
  }

  #beginTransaction (): SophiaTransaction<KDefault, VDefault> {
    if (this.status !== 'open') {
      throw new ModuleError('Database is not open: cannot begin a transaction', { code: 'LEVEL_DATABASE_NOT_OPEN' })
    }
    return new SophiaTransaction(this, this.#native.transaction(), () => this.#native.syncLog())
  }

  async #runTransaction<T> (fn: (transaction: SophiaTransaction<KDefault, VDefault>) => T | Promise<T>, options?: ManagedTransactionOptions): Promise<T> {
    const retries = options?.retries ?? DEFAULT_RETRIES
    if (typeof retries !== 'number') throw new TypeError("The 'retries' option must be a number")
    if (!Number.isInteger(retries) || retries < 0) throw new RangeError("The 'retries' option must be an integer of 0 or more")
    for (let attempt = 0; ; attempt++) {
      const transaction = this.#beginTransaction()
      try {
        const result = await fn(transaction)
        if (transaction.open) await transaction.commit({ sync: options?.sync })
        return result
      } catch (err) {
        await transaction.close()
        if ((err as { code?: unknown })?.code !== 'SOPHIA_TRANSACTION_CONFLICT' || attempt >= retries) throw err
      }
      await backOff(attempt)
    }
  }

  async #writeBatch (operations: unknown[], options: WriteOptions): Promise<void> {
    this.#native.batch(operations)
    if (options.sync === true) await this.#native.syncLog()
  }
}

export { SophiaIterator, SophiaKeyIterator, SophiaValueIterator } from './iterator'
export { SophiaChainedBatch } from './chained-batch'
export { SophiaSnapshot } from './snapshot'
export { SophiaTransaction } from './transaction'
export type { TransactionCommitOptions, TransactionDelOptions, TransactionPutOptions, TransactionTargetOptions } from './transaction'
