import ModuleError = require('module-error')
import type { AbstractDatabaseOptions } from 'abstract-level'
import { SophiaLevel } from './sophia-level'
import type { DatabaseOptions } from './sophia-level'
import { checkThreads, environmentSettings, logDirectoryOf, storageSettings } from './options'
import { recoverLog } from './log-recovery'
import type { EnvironmentSettingsOptions, StorageOptions } from './options'
import { kEnvironmentLink } from './internal'
import type { EnvironmentLink, ResourceOwner } from './internal'
import type { NativeDatabase } from './iterator'
import { NativeEnvironmentClass } from './native'
import { SophiaTransaction, runTransaction } from './transaction'
import { backUp } from './backup'
import { checkpoint, collectGarbage, compact, databasesOf } from './maintenance'
import type { ManagedTransactionOptions } from './transaction'

/** Options of the SophiaEnv constructor: see also EnvironmentSettingsOptions. */
export interface EnvironmentOptions extends EnvironmentSettingsOptions {
  /** Create the directory and the environment if missing. Default true. */
  createIfMissing?: boolean | undefined
  /** Fail to open if the environment exists. Default false. */
  errorIfExists?: boolean | undefined
}

// Names become directories of the environment and Sophia configuration keys
// (where a dot would split them); "log" is the write-ahead log's directory.
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
const RESERVED_NAMES = new Set(['log'])
const STORAGE_OPTIONS = ['compression', 'nodeSize', 'pageSize', 'pageChecksum', 'mmap', 'directIo', 'cacheSize', 'gcWatermark', 'gcPeriod']

type Resource = { close (): Promise<void> }

/**
 * Several databases in one Sophia environment (one directory, one write-ahead
 * log, one lock), as Sophia and its Python binding offer. Transactions from
 * env.transaction() span its databases and commit atomically.
 *
 * Declare every database with env.database() before the environment opens;
 * `await env.open()` opens them all, as does opening any one of them.
 */
export class SophiaEnv implements ResourceOwner {
  readonly #location: string
  readonly #threads: number
  readonly #createIfMissing: boolean
  readonly #errorIfExists: boolean
  readonly #environmentSettings: unknown[]
  readonly #logDirectory: string
  readonly #storageSettings = new Map<string, unknown[]>()
  readonly #native = new NativeEnvironmentClass()
  readonly #databases = new Map<string, SophiaLevel<any, any>>()
  readonly #resources = new Set<Resource>()
  // Set while open: each declared name's index in the native environment.
  #indexes: Map<string, number> | null = null
  #opening: Promise<void> | null = null
  #closing: Promise<void> | null = null
  // Maintenance polls Sophia's background threads; close() waits for it.
  readonly #pendingWork = new Set<Promise<void>>()

  constructor (location: string, options?: EnvironmentOptions) {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    this.#location = location
    this.#threads = checkThreads(options?.threads)
    this.#createIfMissing = options?.createIfMissing !== false
    this.#errorIfExists = options?.errorIfExists === true
    for (const option of STORAGE_OPTIONS) {
      if ((options as Record<string, unknown> | undefined)?.[option] !== undefined) {
        throw new TypeError(`The '${option}' option belongs to each database: give it to env.database()`)
      }
    }
    this.#environmentSettings = environmentSettings(options)
    this.#logDirectory = logDirectoryOf(location, options)
  }

  get location (): string {
    return this.#location
  }

  /** 'open' once the environment has opened, until close() begins; 'closed' otherwise. */
  get status (): 'open' | 'closed' {
    return this.#indexes !== null && this.#closing === null ? 'open' : 'closed'
  }

  /**
   * Declares a database of the environment and returns it: a SophiaLevel
   * like any other, whose data lives in `<location>/<name>`. Only before the
   * environment opens: Sophia cannot add a database to an open environment.
   */
  database<K = string, V = string> (name: string, options?: AbstractDatabaseOptions<K, V> & StorageOptions): SophiaLevel<K, V> {
    if (typeof name !== 'string') throw new TypeError('A database name must be a string')
    if (!NAME_PATTERN.test(name) || RESERVED_NAMES.has(name)) {
      throw new RangeError(`Database name '${name}' must be 1 to 64 letters, digits, '-' or '_', and not 'log'`)
    }
    if (this.#databases.has(name)) {
      throw new ModuleError(`Database '${name}' is already declared`, { code: 'SOPHIA_DATABASE_DECLARED' })
    }
    if (this.#indexes !== null || this.#opening !== null) {
      throw new ModuleError('Databases must be declared before the environment opens', {
        code: 'SOPHIA_ENVIRONMENT_OPEN'
      })
    }
    for (const option of ['threads', 'logPath', 'sync', 'backupPath'] as const) {
      if ((options as DatabaseOptions<K, V> | undefined)?.[option] !== undefined) {
        throw new TypeError(`The '${option}' option belongs to the environment: give it to new SophiaEnv()`)
      }
    }
    this.#storageSettings.set(name, storageSettings(name, options))
    const link: EnvironmentLink = { name, open: () => this.#attach(name) }
    const db = new SophiaLevel<K, V>(this.#location, { ...options, [kEnvironmentLink]: link } as AbstractDatabaseOptions<K, V>)
    this.#databases.set(name, db)
    return db
  }

  /** Opens the environment and every declared database. */
  async open (): Promise<void> {
    await this.#openEnvironment()
    await Promise.all([...this.#databases.values()].map((db) => db.open()))
  }

  /** Closes every database (rolling back open transactions), then the environment. */
  async close (): Promise<void> {
    if (this.#closing !== null) return this.#closing
    if (this.#opening !== null) await this.#opening.catch(() => {})
    if (this.#indexes === null) return
    this.#closing = this.#closeEnvironment()
    try {
      await this.#closing
    } finally {
      this.#closing = null
    }
  }

  /**
   * Begins a transaction across the environment's databases: name the
   * database of each operation with the `db` (or `sublevel`) option. With a
   * function, the managed form (see SophiaLevel#transaction).
   */
  transaction (): SophiaTransaction<unknown, unknown>
  transaction<T> (fn: (transaction: SophiaTransaction<unknown, unknown>) => T | Promise<T>, options?: ManagedTransactionOptions): Promise<T>
  transaction<T> (fn?: (transaction: SophiaTransaction<unknown, unknown>) => T | Promise<T>, options?: ManagedTransactionOptions): SophiaTransaction<unknown, unknown> | Promise<T> {
    if (fn === undefined) return this.#beginTransaction()
    return runTransaction(() => this.#beginTransaction(), fn, options)
  }

  /** Backs up the whole environment (see SophiaLevel#backup()); needs the backupPath option. */
  async backup (): Promise<string> {
    if (this.status !== 'open') {
      throw new ModuleError('Environment is not open: cannot back it up', { code: 'LEVEL_DATABASE_NOT_OPEN' })
    }
    return backUp(this.#native, this.#location)
  }

  /**
   * Checkpoint of every database of the environment (see
   * SophiaLevel#checkpoint()): only once all of them are flushed can the
   * write-ahead log files they share be deleted.
   */
  async checkpoint (): Promise<void> {
    await this.#maintain('checkpoint', (names) => checkpoint(this.#native, names))
  }

  /** Compaction of every database of the environment (see SophiaLevel#compact()). */
  async compact (): Promise<void> {
    await this.#maintain('compact', (names) => compact(this.#native, names))
  }

  /** Garbage collection of every database of the environment (see SophiaLevel#gc()). */
  async gc (): Promise<void> {
    await this.#maintain('collect garbage', (names) => collectGarbage(this.#native, names, false))
  }

  async #maintain (what: string, work: (databases: string[]) => Promise<void>): Promise<void> {
    if (this.status !== 'open') {
      throw new ModuleError(`Environment is not open: cannot ${what}`, { code: 'LEVEL_DATABASE_NOT_OPEN' })
    }
    const running = work(databasesOf(this.#native))
    this.#pendingWork.add(running)
    try {
      await running
    } finally {
      this.#pendingWork.delete(running)
    }
  }

  /** @internal */
  attachResource (resource: Resource): void {
    this.#resources.add(resource)
  }

  /** @internal */
  detachResource (resource: Resource): void {
    this.#resources.delete(resource)
  }

  #beginTransaction (): SophiaTransaction<unknown, unknown> {
    if (this.status !== 'open') {
      throw new ModuleError('Environment is not open: cannot begin a transaction', { code: 'LEVEL_DATABASE_NOT_OPEN' })
    }
    return new SophiaTransaction(this.#native.transaction(), this.#native, undefined, this)
  }

  async #attach (name: string): Promise<NativeDatabase> {
    await this.#openEnvironment()
    return { environment: this.#native, index: (this.#indexes as Map<string, number>).get(name) as number }
  }

  #openEnvironment (): Promise<void> {
    if (this.#closing !== null) {
      return Promise.reject(new ModuleError('Environment is closing', { code: 'LEVEL_DATABASE_NOT_OPEN' }))
    }
    if (this.#indexes !== null) return Promise.resolve()
    if (this.#opening === null) {
      const names = [...this.#databases.keys()]
      const settings = [...this.#environmentSettings, ...names.flatMap((name) => this.#storageSettings.get(name) ?? [])]
      this.#opening = recoverLog(this.#native, this.#location, this.#logDirectory)
        .then(() => this.#native.open(this.#location, this.#createIfMissing, this.#errorIfExists, this.#threads, names, settings))
        .then((indexes) => {
          this.#indexes = new Map(names.map((name, i) => [name, indexes[i]]))
        })
        .finally(() => {
          this.#opening = null
        })
    }
    return this.#opening
  }

  async #closeEnvironment (): Promise<void> {
    await Promise.allSettled(this.#pendingWork)
    await Promise.all([...this.#databases.values()].map((db) => db.close()))
    await Promise.all([...this.#resources].map((resource) => resource.close()))
    this.#indexes = null
    await this.#native.close()
  }
}
