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
  AbstractValueIterator,
  AbstractValueIteratorOptions
} from 'abstract-level'
import type { Bytes, NativeTransaction } from './native'

/** Where a transaction's operation applies: the database, or one of its sublevels. */
export interface TransactionTargetOptions {
  /** A sublevel of the transaction's database (at any depth). Default: the database. */
  sublevel?: AbstractLevel<any, any, any> | undefined
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

export type SyncLog = () => Promise<void>

/**
 * An interactive transaction (db.transaction()). Reads see the database as
 * it was when the transaction began, plus the transaction's own writes;
 * writes are invisible to everyone else until commit(), which applies them
 * all or none, and rejects with SOPHIA_TRANSACTION_CONFLICT if another
 * transaction's committed changes would make this one's reads or writes
 * inconsistent (see README "Transactions").
 */
export class SophiaTransaction<KDefault = string, VDefault = string> {
  /** The database the transaction belongs to. */
  readonly db: AbstractLevel<string | Buffer | Uint8Array, KDefault, VDefault>
  /** @internal */
  readonly native: NativeTransaction
  readonly #syncLog: SyncLog
  #open = true

  /** @internal Use db.transaction(). */
  constructor (db: AbstractLevel<string | Buffer | Uint8Array, KDefault, VDefault>, native: NativeTransaction, syncLog: SyncLog) {
    this.db = db
    this.native = native
    this.#syncLog = syncLog
    db.attachResource(this)
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
  iterator<K = KDefault, V = VDefault> (options?: AbstractIteratorOptions<K, V> & TransactionTargetOptions): AbstractIterator<any, K, V> {
    return this.#target(options).iterator(this.#readOptions(options))
  }

  keys<K = KDefault> (options?: AbstractKeyIteratorOptions<K> & TransactionTargetOptions): AbstractKeyIterator<any, K> {
    return this.#target(options).keys(this.#readOptions(options))
  }

  values<K = KDefault, V = VDefault> (options?: AbstractValueIteratorOptions<K, V> & TransactionTargetOptions): AbstractValueIterator<any, K, V> {
    return this.#target(options).values(this.#readOptions(options))
  }

  async put<K = KDefault, V = VDefault> (key: K, value: V, options?: TransactionPutOptions<K, V>): Promise<void> {
    this.#assertOpen()
    const target = this.#target(options) as unknown as EncodingHost
    target._assertValidKey(key)
    target._assertValidValue(value)
    const encodedValue = target.valueEncoding(options?.valueEncoding).encode(value)
    this.native.put(this.#encodeKey(target, key, options?.keyEncoding), encodedValue)
  }

  async del<K = KDefault> (key: K, options?: TransactionDelOptions<K>): Promise<void> {
    this.#assertOpen()
    const target = this.#target(options) as unknown as EncodingHost
    target._assertValidKey(key)
    this.native.del(this.#encodeKey(target, key, options?.keyEncoding))
  }

  /**
   * Applies the writes atomically. Rejects with SOPHIA_TRANSACTION_CONFLICT
   * (and rolls back) on a conflict. The transaction is over either way.
   */
  async commit (options?: TransactionCommitOptions): Promise<void> {
    this.#assertOpen()
    this.#end()
    this.native.commit()
    if (options?.sync === true) await this.#syncLog()
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
    this.db.detachResource(this)
  }

  #assertOpen (): void {
    if (!this.#open) {
      throw new ModuleError('Transaction is not open: it has been committed or rolled back', {
        code: 'SOPHIA_TRANSACTION_NOT_OPEN'
      })
    }
  }

  #target (options?: TransactionTargetOptions): AbstractLevel<any, any, any> {
    const sublevel = options?.sublevel
    if (sublevel == null) return this.db
    if ((sublevel as unknown as EncodingHost).db !== this.db) {
      throw new TypeError('The sublevel option must be a sublevel of the transaction\'s database')
    }
    return sublevel
  }

  #readOptions<T extends TransactionTargetOptions> (options?: T): any {
    this.#assertOpen()
    if (options == null) return { transaction: this }
    const { sublevel, ...rest } = options
    return { ...rest, transaction: this }
  }

  #encodeKey (target: EncodingHost, key: unknown, keyEncodingOption: unknown): Bytes {
    const keyEncoding = target.keyEncoding(keyEncodingOption)
    const encoded = keyEncoding.encode(key)
    return (target as unknown) === this.db ? encoded : target.prefixKey(encoded, keyEncoding.format, false)
  }
}
