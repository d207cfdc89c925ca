import ModuleError = require('module-error')
import type {
  AbstractGetManyOptions,
  AbstractGetOptions,
  AbstractHasManyOptions,
  AbstractHasOptions,
  AbstractIterator,
  AbstractIteratorOptions,
  AbstractKeyIterator,
  AbstractKeyIteratorOptions,
  AbstractLevel,
  AbstractSublevel,
  AbstractValueIterator,
  AbstractValueIteratorOptions
} from 'abstract-level'
import type { NativeDatabase } from './iterator'
import type { PrefixOption } from './prefix'
import { kNativeDatabase } from './internal'
import type { ResourceOwner } from './internal'
import type { Bytes, NativeEnvironment, NativeTransaction } from './native'
import type { SophiaLevel } from './sophia-level'

/** Where a transaction's operation applies. */
export interface TransactionTargetOptions {
  /** A sublevel (at any depth) of a database of the transaction's environment. */
  sublevel?: AbstractSublevel<any, any, any, any> | undefined
  /**
   * A database of the transaction's environment. Default: the database whose
   * transaction() began it; required for SophiaEnv#transaction().
   */
  db?: SophiaLevel<any, any> | undefined
}

export interface TransactionPutOptions<K, V> extends TransactionTargetOptions {
  keyEncoding?: string | { encode: (key: K) => any } | undefined
  valueEncoding?: string | { encode: (value: V) => any } | undefined
}

export interface TransactionDelOptions<K> extends TransactionTargetOptions {
  keyEncoding?: string | { encode: (key: K) => any } | undefined
}

export interface TransactionCommitOptions {
  /** Resolve only once the write-ahead log is durable on disk. Default false. */
  sync?: boolean | undefined
}

// Abstract-level's key and value handling, used to encode writes exactly as
// db.batch() would. Not in its type declarations.
interface EncodingHost {
  db: unknown
  keyEncoding (encoding?: unknown): { encode: (key: unknown) => Bytes, format: string }
  valueEncoding (encoding?: unknown): { encode: (value: unknown) => Bytes }
  prefixKey (key: Bytes, keyFormat: string, local: boolean): Bytes
  _assertValidKey (key: unknown): void
  _assertValidValue (value: unknown): void
}

/** Options of the managed form, db.transaction(fn, options) and env.transaction(fn, options). */
export interface ManagedTransactionOptions {
  /**
   * How many times to run `fn` again, against a fresh snapshot, after a
   * SOPHIA_TRANSACTION_CONFLICT. Default 10.
   */
  retries?: number | undefined
  /** Commit with `sync: true`. Default false. */
  sync?: boolean | undefined
}

const DEFAULT_RETRIES = 10

// Backs off a little more after each conflict, with jitter, so that
// transactions that keep colliding spread out.
function backOff (attempt: number): Promise<void> {
  const milliseconds = Math.random() * Math.min(50, 2 ** attempt)
  return new Promise((resolve) => setTimeout(resolve, milliseconds))
}

/**
 * The managed form: runs `fn` in a transaction from `begin`, commits when its
 * promise resolves, rolls back when it rejects, and runs it again on a
 * conflict up to `retries` times.
 */
export function runTransaction<T, TTransaction extends SophiaTransaction<any, any>> (
  begin: () => TTransaction,
  fn: (transaction: TTransaction) => T | Promise<T>,
  options?: ManagedTransactionOptions
): Promise<T> {
  // A call of the wrong shape throws at once rather than rejecting later.
  if (typeof fn !== 'function') throw new TypeError('The first argument must be a function, if given')
  return runWithRetries(begin, fn, options)
}

async function runWithRetries<T, TTransaction extends SophiaTransaction<any, any>> (
  begin: () => TTransaction,
  fn: (transaction: TTransaction) => T | Promise<T>,
  options?: ManagedTransactionOptions
): Promise<T> {
  const retries = options?.retries ?? DEFAULT_RETRIES
  if (typeof retries !== 'number') throw new TypeError("The 'retries' option must be a number")
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError("The 'retries' option must be an integer of 0 or more")
  for (let attempt = 0; ; attempt++) {
    const transaction = begin()
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

/**
 * An interactive transaction (db.transaction()). Reads see the database as
 * it was when the transaction began, plus the transaction's own writes;
 * writes are invisible to everyone else until commit(), which applies them
 * all or none, and rejects with SOPHIA_TRANSACTION_CONFLICT if another
 * transaction's committed changes would make this one's reads or writes
 * inconsistent (see README "Transactions").
 */
export class SophiaTransaction<KDefault = string, VDefault = string> {
  /** The database whose transaction() began it; undefined for SophiaEnv#transaction(). */
  readonly db: AbstractLevel<string | Buffer | Uint8Array, KDefault, VDefault> | undefined
  /** @internal */
  readonly native: NativeTransaction
  /** @internal */
  readonly environment: NativeEnvironment
  readonly #owner: ResourceOwner
  #open = true

  /** @internal Use db.transaction() or env.transaction(). */
  constructor (
    native: NativeTransaction,
    environment: NativeEnvironment,
    db: AbstractLevel<string | Buffer | Uint8Array, KDefault, VDefault> | undefined,
    owner: ResourceOwner
  ) {
    this.native = native
    this.environment = environment
    this.db = db
    this.#owner = owner
    owner.attachResource(this)
  }

  /** False once committed or rolled back. */
  get open (): boolean {
    return this.#open
  }

  async get<K = KDefault, V = VDefault> (key: K, options?: AbstractGetOptions<K, V> & TransactionTargetOptions): Promise<V | undefined> {
    return this.#target(options).get(key, this.#readOptions(options))
  }

  async getMany<K = KDefault, V = VDefault> (keys: K[], options?: AbstractGetManyOptions<K, V> & TransactionTargetOptions): Promise<Array<V | undefined>> {
    return this.#target(options).getMany(keys, this.#readOptions(options))
  }

  async has<K = KDefault> (key: K, options?: AbstractHasOptions<K> & TransactionTargetOptions): Promise<boolean> {
    return this.#target(options).has(key, this.#readOptions(options))
  }

  async hasMany<K = KDefault> (keys: K[], options?: AbstractHasManyOptions<K> & TransactionTargetOptions): Promise<boolean[]> {
    return this.#target(options).hasMany(keys, this.#readOptions(options))
  }

  /** An iterator over the transaction's view, its own writes made before the iterator included. */
  iterator<K = KDefault, V = VDefault> (options?: AbstractIteratorOptions<K, V> & PrefixOption<K> & TransactionTargetOptions): AbstractIterator<any, K, V> {
    return this.#target(options).iterator(this.#readOptions(options))
  }

  keys<K = KDefault> (options?: AbstractKeyIteratorOptions<K> & PrefixOption<K> & TransactionTargetOptions): AbstractKeyIterator<any, K> {
    return this.#target(options).keys(this.#readOptions(options))
  }

  values<K = KDefault, V = VDefault> (options?: AbstractValueIteratorOptions<K, V> & PrefixOption<K> & TransactionTargetOptions): AbstractValueIterator<any, K, V> {
    return this.#target(options).values(this.#readOptions(options))
  }

  put (key: KDefault, value: VDefault): Promise<void>
  put<K = KDefault, V = VDefault> (key: K, value: V, options: TransactionPutOptions<K, V>): Promise<void>
  async put (key: unknown, value: unknown, options?: TransactionPutOptions<unknown, unknown>): Promise<void> {
    this.#assertOpen()
    const target = this.#target(options)
    const host = target as unknown as EncodingHost
    host._assertValidKey(key)
    host._assertValidValue(value)
    const encodedValue = host.valueEncoding(options?.valueEncoding).encode(value)
    this.native.put(this.#indexOf(target), this.#encodeKey(host, key, options?.keyEncoding), encodedValue)
  }

  del (key: KDefault): Promise<void>
  del<K = KDefault> (key: K, options: TransactionDelOptions<K>): Promise<void>
  async del (key: unknown, options?: TransactionDelOptions<unknown>): Promise<void> {
    this.#assertOpen()
    const target = this.#target(options)
    const host = target as unknown as EncodingHost
    host._assertValidKey(key)
    this.native.del(this.#indexOf(target), this.#encodeKey(host, key, options?.keyEncoding))
  }

  /**
   * Applies the writes atomically. Rejects with SOPHIA_TRANSACTION_CONFLICT
   * (and rolls back) on a conflict. The transaction is over either way.
   */
  async commit (options?: TransactionCommitOptions): Promise<void> {
    this.#assertOpen()
    this.#end()
    this.native.commit()
    if (options?.sync === true) await this.environment.syncLog()
  }

  /** Discards the writes. */
  async rollback (): Promise<void> {
    this.#assertOpen()
    this.#end()
    this.native.rollback()
  }

  /** Rolls back unless already over; never rejects for that. */
  async close (): Promise<void> {
    if (!this.#open) return
    this.#end()
    this.native.rollback()
  }

  async [Symbol.asyncDispose] (): Promise<void> {
    await this.close()
  }

  #end (): void {
    this.#open = false
    this.#owner.detachResource(this)
  }

  #assertOpen (): void {
    if (!this.#open) {
      throw new ModuleError('Transaction is not open: it has been committed or rolled back', {
        code: 'SOPHIA_TRANSACTION_NOT_OPEN'
      })
    }
  }

  // The database or sublevel an operation applies to, checked to be of this
  // transaction's environment.
  #target (options?: TransactionTargetOptions): AbstractLevel<any, any, any> {
    this.#assertOpen()
    const target = (options?.sublevel ?? options?.db ?? this.db) as AbstractLevel<any, any, any> | undefined
    if (target == null) throw new TypeError('Name the database of the operation with the db option')
    this.#indexOf(target)
    return target
  }

  #indexOf (target: AbstractLevel<any, any, any>): number {
    if (typeof target !== 'object' || target === null) {
      throw new TypeError('The db and sublevel options must name a database of the transaction\'s environment')
    }
    const root = this.#rootOf(target)
    const native = (root as unknown as { [kNativeDatabase]?: NativeDatabase | null })[kNativeDatabase]
    if (native == null || native.environment !== this.environment) {
      throw new TypeError('The db and sublevel options must name an open database of the transaction\'s environment')
    }
    return native.index
  }

  #rootOf (target: AbstractLevel<any, any, any>): unknown {
    return (target as unknown as { [kNativeDatabase]?: unknown })[kNativeDatabase] !== undefined
      ? target
      : (target as unknown as EncodingHost).db
  }

  #readOptions<T extends TransactionTargetOptions> (options?: T): any {
    this.#assertOpen()
    if (options == null) return { transaction: this }
    const { sublevel, db, ...rest } = options
    return { ...rest, transaction: this }
  }

  #encodeKey (target: EncodingHost, key: unknown, keyEncodingOption: unknown): Bytes {
    const keyEncoding = target.keyEncoding(keyEncodingOption)
    const encoded = keyEncoding.encode(key)
    return this.#rootOf(target as unknown as AbstractLevel<any, any, any>) === target
      ? encoded
      : target.prefixKey(encoded, keyEncoding.format, false)
  }
}
