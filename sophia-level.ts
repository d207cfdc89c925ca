import { Buffer } from 'buffer'
import { AbstractLevel } from 'abstract-level'
import type {
  AbstractBatchOperation,
  AbstractBatchOptions,
  AbstractChainedBatch,
  AbstractDatabaseOptions,
  AbstractDelOptions,
  AbstractGetManyOptions,
  AbstractGetOptions,
  AbstractHasManyOptions,
  AbstractHasOptions,
  AbstractIterator,
  AbstractIteratorOptions,
  AbstractKeyIterator,
  AbstractKeyIteratorOptions,
  AbstractOpenOptions,
  AbstractPutOptions,
  AbstractClearOptions,
  AbstractSublevelOptions,
  AbstractValueIterator,
  AbstractValueIteratorOptions
} from 'abstract-level'
import { SophiaChainedBatch } from './chained-batch'
import { kEnvironmentLink, kNativeDatabase } from './internal'
import type { EnvironmentLink } from './internal'
import { KEYS_ONLY, SophiaIterator, SophiaKeyIterator, SophiaValueIterator, openNativeIterator } from './iterator'
import type { NativeDatabase, NativeRangeOptions } from './iterator'
import { NativeEnvironmentClass, readPackedValues } from './native'
import { prefetchFields, withPacker } from './packed-batch'
import type { BatchPacker } from './packed-batch'
import type { Bytes, NativeEnvironment, NativeSnapshot, NativeTransaction } from './native'
import { SophiaSnapshot } from './snapshot'
import { encodePrefixOption } from './prefix'
import type { PrefixOption } from './prefix'
import { SophiaSublevel } from './sublevel'
import { SophiaTransaction, runTransaction } from './transaction'
import type { ManagedTransactionOptions } from './transaction'
import ModuleError = require('module-error')
import { checkKeySchema, checkThreads, environmentSettings, logDirectoryOf, storageSettings } from './options'
import { keySchemaEncoding, sublevelsNotSupported } from './key-schema'
import { backUp } from './backup'
import { checkpoint, collectGarbage, compact } from './maintenance'
import { recoverLog, repairLog } from './log-recovery'
import type { SalvageResult } from './write-ahead-log'
import { buildStats } from './stats'
import type { SophiaStats } from './stats'
import type { EnvironmentSettingsOptions, StorageOptions } from './options'

/**
 * Options of the SophiaLevel constructor: abstract-level's, its environment's
 * (see EnvironmentSettingsOptions) and its storage's (see StorageOptions).
 */
export interface DatabaseOptions<K, V> extends AbstractDatabaseOptions<K, V>, EnvironmentSettingsOptions, StorageOptions {}

/** Options of db.open(). */
export interface OpenOptions extends AbstractOpenOptions {}

interface ReadOptions {
  keyEncoding?: string
  valueEncoding?: string
  snapshot?: SophiaSnapshot | null
  transaction?: SophiaTransaction<any, any> | null
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
// The database of a SophiaLevel that has its environment to itself.
const OWN_DATABASE_NAME = 'main'

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

// Where the binding copies a value that get() reads as a Buffer, up to the
// size below which Buffer.allocUnsafe() takes memory from Node's pool.
const valueScratch = Buffer.allocUnsafeSlow(Buffer.poolSize >>> 1)

function checkLocation (location: unknown): string {
  if (typeof location !== 'string' || location === '') {
    throw new TypeError("The first argument 'location' must be a non-empty string")
  }
  return location
}


function nativeSnapshot (options: ReadOptions): NativeSnapshot | undefined {
  return options.snapshot?.native
}

/** Sophia's own options of put(), del() and batch(). */
export interface SophiaWriteOptions {
  /** Resolve only once the write-ahead log is durable on disk. Default false. */
  sync?: boolean | undefined
}

/** Sophia's own options of get(), getMany(), has(), hasMany(), iterator(), keys() and values(). */
export interface SophiaReadOptions {
  /** Read through a transaction: its snapshot plus its own writes. */
  transaction?: SophiaTransaction<any, any> | null | undefined
}

/** Sophia's own options of iterator(), keys() and values(). */
export interface SophiaIteratorOptions extends SophiaReadOptions {
  /** Bytes of keys and values one native read gathers at most for next() and nextv(). Default 16384. */
  highWaterMarkBytes?: number | undefined
}

/**
 * An abstract-level database backed by Sophia 2.2. A drop-in for
 * ClassicLevel: same constructor, same behaviour, plus Sophia's extras.
 */
export class SophiaLevel<KDefault = string, VDefault = string>
  extends AbstractLevel<string | Buffer | Uint8Array, KDefault, VDefault> {
  readonly #location: string
  readonly #threads: number
  // Configuration for the native layer (see options.ts): only used by a
  // SophiaLevel with an environment of its own.
  readonly #settings: unknown[]
  readonly #logDirectory: string
  // new SophiaLevel(location) has an environment to itself; a database of a
  // SophiaEnv reaches the shared one through its link.
  readonly #ownEnvironment: NativeEnvironment | null
  readonly #link: EnvironmentLink | null
  // The database's name in its environment.
  readonly #name: string
  #db: NativeDatabase | null = null
  readonly #hasKeySchema: boolean
  // clear() runs in chunks across event-loop turns, and maintenance polls
  // Sophia's background threads; close() waits for both.
  readonly #pendingWork = new Set<Promise<unknown>>()

  constructor (location: string, options?: DatabaseOptions<KDefault, VDefault>) {
    const checkedLocation = checkLocation(location)
    const threads = checkThreads(options?.threads)
    const link = (options as { [kEnvironmentLink]?: EnvironmentLink } | undefined)?.[kEnvironmentLink] ?? null
    const settings = link === null ? [...environmentSettings(options), ...storageSettings(OWN_DATABASE_NAME, options)] : []
    const keySchema = checkKeySchema(options)
    if (keySchema !== undefined) {
      if (options?.keyEncoding !== undefined) {
        throw new TypeError("The 'keyEncoding' option cannot be combined with 'keySchema', whose parts make the key encoding")
      }
      options = { ...options, keyEncoding: keySchemaEncoding(keySchema) as unknown as string }
    }
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
      additionalMethods: { transaction: true, stats: true, getProperty: true, backup: true, checkpoint: true, compact: true, gc: true }
    }, options)
    this.#location = checkedLocation
    this.#threads = threads
    this.#link = link
    this.#name = link === null ? OWN_DATABASE_NAME : link.name
    this.#settings = settings
    this.#logDirectory = logDirectoryOf(checkedLocation, options)
    this.#ownEnvironment = link === null ? new NativeEnvironmentClass() : null
    this.#hasKeySchema = keySchema !== undefined
  }

  /**
   * Salvages a database (or environment) whose write-ahead log is damaged
   * (opening fails with LEVEL_DATABASE_NOT_OPEN, cause LEVEL_CORRUPTION):
   * keeps every complete write up to the damage in each log file, moves the
   * rest aside into files beside the log, and resolves with what it did.
   * Writes after the damage in a file are lost. The database must be closed.
   */
  static async repair (location: string, options?: { logPath?: string }): Promise<SalvageResult> {
    const checkedLocation = checkLocation(location)
    return repairLog(new NativeEnvironmentClass(), checkedLocation, logDirectoryOf(checkedLocation, options))
  }

  /** @internal */
  get [kNativeDatabase] (): NativeDatabase | null {
    return this.#db
  }

  // The database in the native layer; abstract-level calls the private
  // methods only while the database is open.
  get #native (): NativeDatabase {
    return this.#db as NativeDatabase
  }

  /** The directory of the database. */
  get location (): string {
    return this.#location
  }

  async _open (options: { createIfMissing?: boolean, errorIfExists?: boolean }): Promise<void> {
    if (this.#link !== null) {
      this.#db = await this.#link.open()
      return
    }
    const environment = this.#ownEnvironment as NativeEnvironment
    await recoverLog(environment, this.#location, this.#logDirectory)
    const [index] = await environment.open(this.#location, options.createIfMissing !== false,
      options.errorIfExists === true, this.#threads, [OWN_DATABASE_NAME], this.#settings)
    this.#db = { environment, index }
  }

  async _close (): Promise<void> {
    await Promise.allSettled(this.#pendingWork)
    this.#db = null
    // A database of a SophiaEnv leaves the environment to SophiaEnv#close().
    if (this.#ownEnvironment !== null) await this.#ownEnvironment.close()
  }

  async _get (key: Bytes, options: ReadOptions): Promise<string | Buffer | undefined> {
    return this._getSync(key, options)
  }

  _getSync (key: Bytes, options: ReadOptions): string | Buffer | undefined {
    const asBuffer = options.valueEncoding !== 'utf8'
    const { environment, index } = this.#native
    if (options.transaction != null) return this.#transactionOf(options).get(index, key, asBuffer)
    const found = environment.get(index, key, asBuffer, nativeSnapshot(options), asBuffer ? valueScratch : undefined)
    if (typeof found !== 'number') return found
    const value = Buffer.allocUnsafe(found)
    valueScratch.copy(value, 0, 0, found)
    return value
  }

  async _getMany (keys: Bytes[], options: ReadOptions): Promise<Array<string | Buffer | undefined>> {
    const asBuffer = options.valueEncoding !== 'utf8'
    const { environment, index } = this.#native
    if (options.transaction != null) return this.#transactionOf(options).getMany(index, keys, asBuffer)
    return readPackedValues(environment.getMany(index, keys, nativeSnapshot(options)), keys.length, asBuffer)
  }

  async _has (key: Bytes, options: ReadOptions): Promise<boolean> {
    const { environment, index } = this.#native
    if (options.transaction != null) return this.#transactionOf(options).has(index, key)
    return environment.has(index, key, nativeSnapshot(options))
  }

  async _hasMany (keys: Bytes[], options: ReadOptions): Promise<boolean[]> {
    const { environment, index } = this.#native
    if (options.transaction != null) return this.#transactionOf(options).hasMany(index, keys)
    return environment.hasMany(index, keys, nativeSnapshot(options))
  }

  // The native transaction named by a read's `transaction` option.
  #transactionOf (options: ReadOptions): NativeTransaction {
    const transaction = options.transaction
    if (!(transaction instanceof SophiaTransaction) || transaction.environment !== this.#native.environment) {
      throw new TypeError('The transaction option must be a transaction of this database\'s environment')
    }
    if (options.snapshot != null) throw new TypeError('The snapshot and transaction options cannot be combined')
    return transaction.native
  }

  async _put (key: Bytes, value: Bytes, options: WriteOptions): Promise<void> {
    const { environment, index } = this.#native
    environment.put(index, key, value)
    if (options.sync === true) await environment.syncLog()
  }

  async _del (key: Bytes, options: WriteOptions): Promise<void> {
    const { environment, index } = this.#native
    environment.del(index, key)
    if (options.sync === true) await environment.syncLog()
  }

  // Array batches skip abstract-level's per-operation cloning and encoding
  // lookups when nothing needs them: no prewrite hook, no 'write' listener,
  // no sublevel or per-operation encodings. Anything else, or anything
  // unexpected in an operation, goes through abstract-level as usual.
  override batch (operations: Array<AbstractBatchOperation<typeof this, KDefault, VDefault>>): Promise<void>
  override batch<K = KDefault, V = VDefault> (operations: Array<AbstractBatchOperation<typeof this, K, V>>, options: AbstractBatchOptions<K, V> & SophiaWriteOptions): Promise<void>
  override batch (): AbstractChainedBatch<typeof this, KDefault, VDefault>
  override batch (...args: unknown[]): unknown {
    if (args.length > 0 && this.status === 'open' && this.#hasNoPrewriteHook() && this.listenerCount('write') === 0) {
      const written = this.#writePlainBatch(args[0], args[1])
      if (written !== null) return written
    }
    // @ts-expect-error The overloads above accept exactly these arguments.
    return super.batch(...args)
  }

  #hasNoPrewriteHook (): boolean {
    // `noop` is abstract-level's own flag; its types leave it out.
    return (this.hooks.prewrite as unknown as { noop: boolean }).noop
  }

  // Writes a batch of plain operations in the database's own encodings, or
  // answers null if it needs abstract-level's full treatment.
  #writePlainBatch (operations: unknown, options: unknown): Promise<void> | null {
    if (!Array.isArray(operations) || operations.length === 0) return null
    if (options != null) {
      if (typeof options !== 'object') return null
      const { keyEncoding, valueEncoding } = options as { keyEncoding?: unknown, valueEncoding?: unknown }
      if (keyEncoding !== undefined || valueEncoding !== undefined) return null
    }
    const keyEncoding = this.keyEncoding()
    const valueEncoding = this.valueEncoding()
    return withPacker((packer) => {
      try {
        prefetchFields(operations)
        for (const operation of operations) {
          if (typeof operation !== 'object' || operation === null || operation.sublevel != null ||
              operation.keyEncoding !== undefined || operation.valueEncoding !== undefined || operation.key == null) {
            return null
          }
          if (operation.type === 'put') {
            if (operation.value == null) return null
            packer.put(keyEncoding.encode(operation.key), valueEncoding.encode(operation.value))
          } else if (operation.type === 'del') {
            packer.del(keyEncoding.encode(operation.key))
          } else {
            return null
          }
        }
      } catch {
        // Let abstract-level report the encoding error in its own words.
        return null
      }
      return this.#writeBatch(packer, (options ?? {}) as WriteOptions)
    })
  }

  async _batch (operations: BatchOperation[], options: WriteOptions): Promise<void> {
    await withPacker((packer) => {
      prefetchFields(operations)
      for (const operation of operations) {
        if (operation.type === 'put') packer.put(operation.key, operation.value)
        else packer.del(operation.key)
      }
      return this.#writeBatch(packer, options)
    })
  }

  _chainedBatch (): SophiaChainedBatch<typeof this, KDefault, VDefault> {
    return new SophiaChainedBatch(this, (packer, options) => this.#writeBatch(packer, options))
  }

  // The range methods encode the `prefix` option (see prefix.ts) and leave
  // the rest to abstract-level.
  override iterator (): AbstractIterator<this, KDefault, VDefault>
  override iterator<K = KDefault, V = VDefault> (options: AbstractIteratorOptions<K, V> & PrefixOption<K> & SophiaIteratorOptions): AbstractIterator<this, K, V>
  override iterator (options?: any): any {
    return super.iterator(encodePrefixOption(this, options))
  }

  override keys (): AbstractKeyIterator<this, KDefault>
  override keys<K = KDefault> (options: AbstractKeyIteratorOptions<K> & PrefixOption<K> & SophiaIteratorOptions): AbstractKeyIterator<this, K>
  override keys (options?: any): any {
    return super.keys(encodePrefixOption(this, options))
  }

  override values (): AbstractValueIterator<this, KDefault, VDefault>
  override values<K = KDefault, V = VDefault> (options: AbstractValueIteratorOptions<K, V> & PrefixOption<K> & SophiaIteratorOptions): AbstractValueIterator<this, K, V>
  override values (options?: any): any {
    return super.values(encodePrefixOption(this, options))
  }

  override clear (): Promise<void>
  override clear<K = KDefault> (options: AbstractClearOptions<K> & PrefixOption<K>): Promise<void>
  override async clear (options?: any): Promise<void> {
    return super.clear(encodePrefixOption(this, options))
  }

  _sublevel (name: string, options: AbstractSublevelOptions<any, any>): SophiaSublevel<this, string | Buffer | Uint8Array, any, any> {
    if (this.#hasKeySchema) throw sublevelsNotSupported()
    return new SophiaSublevel(this, name, options)
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
    await this.#track(this.#clearRange(options))
  }

  async #track<T> (work: Promise<T>): Promise<T> {
    this.#pendingWork.add(work)
    try {
      return await work
    } finally {
      this.#pendingWork.delete(work)
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
    return new SophiaSnapshot(options, this.#native.environment.snapshot())
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
    return runTransaction(() => this.#beginTransaction(), fn, options)
  }

  #beginTransaction (): SophiaTransaction<KDefault, VDefault> {
    if (this.status !== 'open') {
      throw new ModuleError('Database is not open: cannot begin a transaction', { code: 'LEVEL_DATABASE_NOT_OPEN' })
    }
    const { environment } = this.#native
    return new SophiaTransaction(environment.transaction(), environment, this, this)
  }

  /**
   * Statistics of the database and its environment: entries, memory, sizes
   * on disk, the write-ahead log, operation counts and latencies.
   */
  async stats (): Promise<SophiaStats> {
    this.#assertOpen('read statistics')
    return buildStats(this.#native.environment.configuration(), this.#name)
  }

  /**
   * The value of any Sophia configuration or statistics key, as Sophia
   * prints it, e.g. 'db.main.index.count' or 'sophia.status'; undefined for
   * a key Sophia does not have.
   */
  getProperty (property: string): string | undefined {
    if (typeof property !== 'string') throw new TypeError("The first argument 'property' must be a string")
    this.#assertOpen('read a property')
    return this.#native.environment.configuration()[property]
  }

  /**
   * Backs up the database's whole environment while it stays in use, into a
   * new directory of the backupPath option; resolves with that directory,
   * which opens as a normal database, once the backup is complete.
   */
  async backup (): Promise<string> {
    this.#assertOpen('back up')
    return backUp(this.#native.environment, this.#location)
  }

  /**
   * Flushes the data written so far from memory to the database's files and
   * deletes the write-ahead log files no longer needed, so that the log stops
   * growing and reopening replays little. Sophia otherwise keeps data in
   * memory and in the log until a node's in-memory share reaches its limit
   * (cacheSize). Runs in Sophia's background threads; reads and writes go on
   * meanwhile, and writes after the call may or may not be flushed.
   */
  async checkpoint (): Promise<void> {
    this.#assertOpen('checkpoint')
    await this.#track(checkpoint(this.#native.environment, [this.#name]))
  }

  /**
   * Checkpoint, then rewrites every node that holds old versions or deleted
   * keys no snapshot, iterator or transaction can still see, then (with the
   * expire option) removes expired rows: reclaims the space they take.
   */
  async compact (): Promise<void> {
    this.#assertOpen('compact')
    await this.#track(compact(this.#native.environment, [this.#name]))
  }

  /**
   * Sophia's garbage collection, now rather than at its next gcPeriod:
   * rewrites the nodes whose share of old versions has reached gcWatermark.
   */
  async gc (): Promise<void> {
    this.#assertOpen('collect garbage')
    await this.#track(collectGarbage(this.#native.environment, [this.#name], false))
  }

  #assertOpen (what: string): void {
    if (this.status !== 'open') {
      throw new ModuleError(`Database is not open: cannot ${what}`, { code: 'LEVEL_DATABASE_NOT_OPEN' })
    }
  }

  // Writes what `packer` holds. The native call reads the packer before the
  // first await, as withPacker() and chained batches require.
  async #writeBatch (packer: BatchPacker, options: WriteOptions): Promise<void> {
    const { environment, index } = this.#native
    environment.batch(index, packer.frames(), packer.fields())
    if (options.sync === true) await environment.syncLog()
  }
}

// The public signatures of the methods abstract-level implements, with
// Sophia's own options added (as ClassicLevel declares its own).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface SophiaLevel<KDefault = string, VDefault = string> {
  get (key: KDefault): Promise<VDefault | undefined>
  get<K = KDefault, V = VDefault> (key: K, options: AbstractGetOptions<K, V> & SophiaReadOptions): Promise<V | undefined>
  getSync (key: KDefault): VDefault | undefined
  getSync<K = KDefault, V = VDefault> (key: K, options: AbstractGetOptions<K, V>): V | undefined
  getMany (keys: KDefault[]): Promise<Array<VDefault | undefined>>
  getMany<K = KDefault, V = VDefault> (keys: K[], options: AbstractGetManyOptions<K, V> & SophiaReadOptions): Promise<Array<V | undefined>>
  has (key: KDefault): Promise<boolean>
  has<K = KDefault> (key: K, options: AbstractHasOptions<K> & SophiaReadOptions): Promise<boolean>
  hasMany (keys: KDefault[]): Promise<boolean[]>
  hasMany<K = KDefault> (keys: K[], options: AbstractHasManyOptions<K> & SophiaReadOptions): Promise<boolean[]>
  put (key: KDefault, value: VDefault): Promise<void>
  put<K = KDefault, V = VDefault> (key: K, value: V, options: AbstractPutOptions<K, V> & SophiaWriteOptions): Promise<void>
  del (key: KDefault): Promise<void>
  del<K = KDefault> (key: K, options: AbstractDelOptions<K> & SophiaWriteOptions): Promise<void>
}
