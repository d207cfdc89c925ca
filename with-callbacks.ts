import type {
  AbstractBatchOperation,
  AbstractBatchOptions,
  AbstractClearOptions,
  AbstractDelOptions,
  AbstractGetManyOptions,
  AbstractGetOptions,
  AbstractIteratorOptions,
  AbstractKeyIteratorOptions,
  AbstractLevel,
  AbstractOpenOptions,
  AbstractPutOptions,
  AbstractSeekOptions,
  AbstractValueIteratorOptions
} from 'abstract-level'
import ModuleError = require('module-error')
import type { AbstractSublevel } from 'abstract-level'
import type { SophiaLevel } from './sophia-level'

/** A Node.js-style callback: an error, or `null` and the result. */
export type Callback<T = void> = (err: Error | null, result?: T) => void

/** What abstract-level's `db.status` can be. */
export type DatabaseStatus = AbstractLevel<unknown>['status']

/** abstract-level's manifest of features, `db.supports`. */
export type DatabaseManifest = AbstractLevel<unknown>['supports']

/**
 * The callback form of an abstract-level iterator's reads, seek and close,
 * shared by entry, key and value iterators. `T` is what `nextv()` and
 * `all()` give per item: `[key, value]`, a key or a value.
 */
export interface CallbackIteratorBase<T, K> {
  /** Reads at most `size` items; an empty array means the end. */
  nextv (size: number, callback: Callback<T[]>): void
  nextv (size: number, options: object, callback: Callback<T[]>): void
  /** Reads all remaining items, then closes the iterator. */
  all (callback: Callback<T[]>): void
  all (options: object, callback: Callback<T[]>): void
  /**
   * Moves to the first key at or after `target` (at or before it in
   * reverse); synchronous, and throws as abstract-level's `seek()` does.
   */
  seek (target: K): void
  seek<TTarget = K> (target: TTarget, options: AbstractSeekOptions<TTarget>): void
  /** Closes the iterator. */
  close (callback: Callback): void
}

/** An entry iterator with callbacks: `next()` gives the key and the value. */
export interface CallbackIterator<K, V> extends CallbackIteratorBase<[K, V], K> {
  /** Reads one entry; at the end, the callback gets neither key nor value. */
  next (callback: (err: Error | null, key?: K, value?: V) => void): void
}

/** A key iterator with callbacks: `next()` gives the key. */
export interface CallbackKeyIterator<K> extends CallbackIteratorBase<K, K> {
  /** Reads one key; at the end, the callback gets no key. */
  next (callback: (err: Error | null, key?: K) => void): void
}

/** A value iterator with callbacks: `next()` gives the value. */
export interface CallbackValueIterator<K, V> extends CallbackIteratorBase<V, K> {
  /** Reads one value; at the end, the callback gets no value. */
  next (callback: (err: Error | null, value?: V) => void): void
}

/**
 * The callback API of abstract-level 1, over an abstract-level 3 database:
 * what `ManyLevelHost` (many-level 2) calls on the database it hosts, plus
 * `close()`. Options are those of the database's promise API, and every
 * `options` argument may be left out. Callbacks are called on a later tick,
 * never from within a promise chain, so that an exception thrown by a
 * callback is an uncaught exception rather than a second call or an
 * unhandled rejection.
 *
 * @template K The database's default key type.
 * @template V The database's default value type.
 * @template TDatabase The type of the database, for the `sublevel` option of
 * batch operations.
 */
export interface CallbackDatabase<K = string, V = string, TDatabase = any> {
  /** The database's `status`. */
  readonly status: DatabaseStatus
  /** The database's manifest (`ManyLevelHost` reads `supports.events`). */
  readonly supports: DatabaseManifest

  /**
   * Opens the database. With `{ passive: true }`, as `ManyLevelHost` opens
   * it, waits for an opening in progress and fails unless the database is
   * then open.
   */
  open (callback: Callback): void
  open (options: AbstractOpenOptions, callback: Callback): void

  /** Closes the database itself, not only this view. */
  close (callback: Callback): void

  /**
   * Reads a value. A missing key is an error with code `LEVEL_NOT_FOUND`
   * (and `notFound: true`, `status: 404`), as in abstract-level 1, where
   * abstract-level 3 would give `undefined`: that is how a `ManyLevelGuest`
   * learns of a missing key.
   */
  get (key: K, callback: Callback<V>): void
  get<GK = K, GV = V> (key: GK, options: AbstractGetOptions<GK, GV>, callback: Callback<GV>): void

  /**
   * Reads values, `undefined` for a missing key. On error the callback also
   * gets an empty array: `ManyLevelHost` maps over the values before it
   * looks at the error, and would throw without one.
   */
  getMany (keys: K[], callback: Callback<Array<V | undefined>>): void
  getMany<GK = K, GV = V> (keys: GK[], options: AbstractGetManyOptions<GK, GV>, callback: Callback<Array<GV | undefined>>): void

  /** Writes an entry. */
  put (key: K, value: V, callback: Callback): void
  put<GK = K, GV = V> (key: GK, value: GV, options: AbstractPutOptions<GK, GV>, callback: Callback): void

  /** Deletes an entry. */
  del (key: K, callback: Callback): void
  del<GK = K> (key: GK, options: AbstractDelOptions<GK>, callback: Callback): void

  /** Writes an array of operations in one go (there is no chained form). */
  batch (operations: Array<AbstractBatchOperation<TDatabase, K, V>>, callback: Callback): void
  batch<GK = K, GV = V> (operations: Array<AbstractBatchOperation<TDatabase, GK, GV>>, options: AbstractBatchOptions<GK, GV>, callback: Callback): void

  /** Deletes all entries, or a range. */
  clear (callback: Callback): void
  clear<GK = K> (options: AbstractClearOptions<GK>, callback: Callback): void

  /**
   * Creates an entry iterator. Where abstract-level would throw (say,
   * `LEVEL_DATABASE_NOT_OPEN` once the database is closed), the iterator's
   * reads fail with that error instead: `ManyLevelHost` creates iterators
   * in a stream's event handler, where a throw would end the process.
   */
  iterator (): CallbackIterator<K, V>
  iterator<GK = K, GV = V> (options: AbstractIteratorOptions<GK, GV>): CallbackIterator<GK, GV>

  /** Creates a key iterator; errors as for `iterator()`. */
  keys (): CallbackKeyIterator<K>
  keys<GK = K> (options: AbstractKeyIteratorOptions<GK>): CallbackKeyIterator<GK>

  /** Creates a value iterator; errors as for `iterator()`. */
  values (): CallbackValueIterator<K, V>
  values<GK = K, GV = V> (options: AbstractValueIteratorOptions<GK, GV>): CallbackValueIterator<GK, GV>
}

// What the view needs of an abstract-level 3 entry, key or value iterator.
interface PromiseIterator<T> {
  next: () => Promise<T | undefined>
  nextv: (size: number, options: object) => Promise<T[]>
  all: (options: object) => Promise<T[]>
  seek: (target: unknown, options: AbstractSeekOptions<unknown>) => void
  close: () => Promise<void>
}

function checkCallback (callback: unknown): void {
  if (typeof callback !== 'function') throw new TypeError('The last argument must be a callback function')
}

// Sorts out the optional `options` argument of (…, [options,] callback).
function optionsAndCallback<T> (options: unknown, callback: unknown): [object, Callback<T>] {
  if (typeof options === 'function') return [{}, options as Callback<T>]
  checkCallback(callback)
  return [(options ?? {}) as object, callback as Callback<T>]
}

// Calls back on a later tick, outside the promise chain. An async wrapper
// turns a synchronous throw of `operation` into an error for the callback.
function settle<T> (operation: () => Promise<T>, callback: Callback<T>): void {
  const run = async (): Promise<T> => await operation()
  run().then(
    (result) => process.nextTick(callback, null, result),
    (err: Error) => process.nextTick(callback, err)
  )
}

function notFoundError (): Error {
  return Object.assign(new ModuleError('Entry not found', { code: 'LEVEL_NOT_FOUND' }), { notFound: true, status: 404 })
}

// An iterator that could not be created: its reads fail with the reason.
function failedIterator<T> (err: Error): PromiseIterator<T> {
  const fail = async (): Promise<never> => { throw err }
  return { next: fail, nextv: fail, all: fail, seek () {}, close: async () => {} }
}

class IteratorView<T, TArgs extends unknown[]> {
  readonly #iterator: PromiseIterator<T>
  // What next() passes its callback after `null`: key and value, a key or a value.
  readonly #spread: (item: T) => TArgs

  constructor (create: () => PromiseIterator<T>, spread: (item: T) => TArgs) {
    let iterator: PromiseIterator<T>
    try {
      iterator = create()
    } catch (err) {
      iterator = failedIterator(err as Error)
    }
    this.#iterator = iterator
    this.#spread = spread
  }

  next (callback: (err: Error | null, ...item: TArgs | []) => void): void {
    checkCallback(callback)
    settle(() => this.#iterator.next(), (err, item) => {
      if (err !== null) callback(err)
      else callback(null, ...(item === undefined ? [] : this.#spread(item)))
    })
  }

  nextv (size: number, options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<T[]>(options, callback)
    settle(() => this.#iterator.nextv(size, opts), cb)
  }

  all (options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<T[]>(options, callback)
    settle(() => this.#iterator.all(opts), cb)
  }

  seek (target: unknown, options?: AbstractSeekOptions<unknown>): void {
    this.#iterator.seek(target, options ?? {})
  }

  close (callback: Callback): void {
    checkCallback(callback)
    settle(() => this.#iterator.close(), callback)
  }
}

const spreadEntry = <K, V>(entry: [K, V]): [K, V] => entry
const spreadItem = <T>(item: T): [T] => [item]

class CallbackView<TFormat, K, V> {
  readonly #db: AbstractLevel<TFormat, K, V>

  constructor (db: AbstractLevel<TFormat, K, V>) {
    this.#db = db
  }

  get status (): DatabaseStatus {
    return this.#db.status
  }

  get supports (): DatabaseManifest {
    return this.#db.supports
  }

  open (options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<void>(options, callback)
    settle(() => this.#db.open(opts as AbstractOpenOptions), cb)
  }

  close (callback: Callback): void {
    checkCallback(callback)
    settle(() => this.#db.close(), callback)
  }

  get (key: K, options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<V>(options, callback)
    settle(async () => {
      const value = await this.#db.get(key, opts as AbstractGetOptions<K, V>)
      if (value === undefined) throw notFoundError()
      return value
    }, cb)
  }

  getMany (keys: K[], options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<Array<V | undefined>>(options, callback)
    settle(() => this.#db.getMany(keys, opts as AbstractGetManyOptions<K, V>), (err, values) => cb(err, values ?? []))
  }

  put (key: K, value: V, options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<void>(options, callback)
    settle(() => this.#db.put(key, value, opts as AbstractPutOptions<K, V>), cb)
  }

  del (key: K, options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<void>(options, callback)
    settle(() => this.#db.del(key, opts as AbstractDelOptions<K>), cb)
  }

  batch (operations: Array<AbstractBatchOperation<AbstractLevel<TFormat, K, V>, K, V>>, options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<void>(options, callback)
    settle(() => this.#db.batch(operations, opts as AbstractBatchOptions<K, V>), cb)
  }

  clear (options: unknown, callback?: unknown): void {
    const [opts, cb] = optionsAndCallback<void>(options, callback)
    settle(() => this.#db.clear(opts as AbstractClearOptions<K>), cb)
  }

  iterator (options?: AbstractIteratorOptions<K, V>): IteratorView<[K, V], [K, V]> {
    return new IteratorView(() => this.#db.iterator(options ?? {}), spreadEntry)
  }

  keys (options?: AbstractKeyIteratorOptions<K>): IteratorView<K, [K]> {
    return new IteratorView(() => this.#db.keys(options ?? {}), spreadItem)
  }

  values (options?: AbstractValueIteratorOptions<K, V>): IteratorView<V, [V]> {
    return new IteratorView(() => this.#db.values(options ?? {}), spreadItem)
  }
}

/**
 * Returns a view of an abstract-level 3 database with abstract-level 1's
 * callback API, for code written against it; chiefly many-level 2's
 * `ManyLevelHost`, which can then host the database:
 *
 * ```js
 * const host = new ManyLevelHost(withCallbacks(db))
 * ```
 *
 * The view is a new object that forwards every call to `db` (a database or
 * a sublevel), which is left untouched and keeps its promise API. It has
 * only what {@link CallbackDatabase} lists: no events, no chained batch, no
 * `sublevel()` (make a view of the sublevel instead).
 */
export function withCallbacks<K, V> (db: SophiaLevel<K, V>): CallbackDatabase<K, V, SophiaLevel<K, V>>
export function withCallbacks<TParent, TFormat, K, V> (db: AbstractSublevel<TParent, TFormat, K, V>): CallbackDatabase<K, V, AbstractSublevel<TParent, TFormat, K, V>>
export function withCallbacks<TFormat, K, V> (db: AbstractLevel<TFormat, K, V>): CallbackDatabase<K, V, AbstractLevel<TFormat, K, V>>
export function withCallbacks (db: AbstractLevel<any, any, any>): CallbackDatabase<any, any, any> {
  return new CallbackView(db)
}
