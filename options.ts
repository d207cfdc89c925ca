import path = require('path')
import { kStoredFields } from './internal'

// Sophia's environment and database configuration, as options of
// SophiaLevel, SophiaEnv and SophiaEnv#database(): validated before opening
// (TypeError or RangeError naming the option) and turned into the native
// layer's settings.

/** Options of a Sophia environment (SophiaLevel's own, or a SophiaEnv's). */
export interface EnvironmentSettingsOptions {
  /**
   * Sophia's background threads (flushing the in-memory index to disk,
   * compaction, log rotation and garbage collection): an integer from 1 to
   * 64. Default 1.
   */
  threads?: number | undefined
  /** Directory of the write-ahead log. Default `<location>/log`. */
  logPath?: string | undefined
  /**
   * Make every commit durable (fdatasync of the log) before it returns, as
   * the `sync: true` write option does for one write. Default false.
   */
  sync?: boolean | undefined
  /**
   * Directory for backups (db.backup()). Default none: backups are off.
   * Sophia needs it when the environment opens.
   */
  backupPath?: string | undefined
}

/** Options of one database's storage. Those marked "kept" are stored with the database when it is created, and opening it later with another value is a SOPHIA_OPTION_MISMATCH error. */
export interface StorageOptions {
  /**
   * Compression of the database files: 'none' or 'zstd'. Default 'none'.
   * Kept. Sophia 2.2's 'lz4' is refused: it corrupted values in our tests
   * (test/fuzz/repro/lz4-compression-corrupts-values.js).
   */
  compression?: 'none' | 'zstd' | undefined
  /** Size of a node file, in bytes: from 1 MiB to 1 TiB. Default 64 MiB. Kept. */
  nodeSize?: number | undefined
  /** Size of a page within a node, in bytes: from 1 KiB to `nodeSize`. Default 128 KiB. Kept. */
  pageSize?: number | undefined
  /**
   * Store a checksum of every page. Default true. Sophia 2.2 computes these
   * checksums when it writes a page but never checks them when reading, and
   * does not keep the setting: it applies to pages written from then on.
   */
  pageChecksum?: boolean | undefined
  /** Read node files through mmap. Default true. */
  mmap?: boolean | undefined
  /** Read and write node files with O_DIRECT; not with `mmap`. Default false. */
  directIo?: boolean | undefined
  /**
   * Bytes of in-memory index (across the database's nodes) before Sophia
   * flushes it to node files; 0 flushes at every scheduler step. Default 4 GiB.
   */
  cacheSize?: number | undefined
  /** Percentage of a node's entries that are old versions that makes it due for garbage collection: 1 to 100. Default 30. */
  gcWatermark?: number | undefined
  /** Seconds between garbage collection checks: 1 or more. Default 60. */
  gcPeriod?: number | undefined
  /**
   * Keys made of typed parts, stored as Sophia's own key fields (see
   * KeyPart); keys are then arrays. Default: keys are byte strings. Kept.
   */
  keySchema?: KeyPart[] | undefined
  /**
   * Seconds a row lives after the second it was written in: reads stop
   * seeing it once they have passed, and compaction removes it later.
   * From 1 to 4294967295. Default: rows do not expire. Kept.
   */
  expire?: number | undefined
  /** Seconds between Sophia's sweeps for expired rows to remove, with `expire`: 1 or more. Default 60. */
  expirePeriod?: number | undefined
}

/** Types of a key part: Sophia's. The _rev types sort in descending order. */
export type KeyPartType = 'string' | 'u8' | 'u16' | 'u32' | 'u64' | 'u8_rev' | 'u16_rev' | 'u32_rev' | 'u64_rev'

/** One part of a multi-part key. */
export interface KeyPart {
  /** A name for the part: letters, digits and underscores, not starting with a digit, up to 32 characters. */
  name: string
  type: KeyPartType
  /** For a 'string' part: read it back as a Buffer rather than a UTF-8 string. Default false. */
  binary?: boolean | undefined
}

// Sophia's documents hold at most 6 fields (more crash its cursors), and a
// database has a value field and, with `expire`, a timestamp field.
const MAX_FIELDS = 6
const KEY_PART_TYPES = new Set(['string', 'u8', 'u16', 'u32', 'u64', 'u8_rev', 'u16_rev', 'u32_rev', 'u64_rev'])
// Names Sophia's documents give another meaning, and our own fields'.
const RESERVED_FIELD_NAMES = new Set(['key', 'value', 'timestamp', 'order', 'prefix', 'log', 'raw', 'lsn', 'flags'])
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/

const MAX_THREADS = 64
const MIB = 1024 * 1024
const COMPRESSIONS = new Set(['none', 'zstd'])

function isUnset (value: unknown): value is undefined {
  return value === undefined
}

function checkInteger (name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`The '${name}' option must be a number`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`The '${name}' option must be an integer from ${min} to ${max}`)
  }
  return value
}

function checkBoolean (name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`The '${name}' option must be a boolean`)
  return value
}

/** Where the write-ahead log of the environment at `location` lives. */
export function logDirectoryOf (location: string, options: { logPath?: unknown } | undefined): string {
  return typeof options?.logPath === 'string' && options.logPath !== '' ? path.resolve(options.logPath) : path.join(location, 'log')
}

export function checkThreads (threads: unknown): number {
  return isUnset(threads) ? 1 : checkInteger('threads', threads, 1, MAX_THREADS)
}

/** The environment's settings for the native layer, flat: [database, key, value, kept] per setting. */
export function environmentSettings (options: EnvironmentSettingsOptions | undefined): unknown[] {
  const settings: unknown[] = []
  if (!isUnset(options?.logPath)) {
    if (typeof options.logPath !== 'string' || options.logPath === '') {
      throw new TypeError("The 'logPath' option must be a non-empty string")
    }
    settings.push('', 'log.path', path.resolve(options.logPath), false)
  }
  if (!isUnset(options?.sync)) settings.push('', 'log.sync', checkBoolean('sync', options.sync) ? 1 : 0, false)
  if (!isUnset(options?.backupPath)) {
    if (typeof options.backupPath !== 'string' || options.backupPath === '') {
      throw new TypeError("The 'backupPath' option must be a non-empty string")
    }
    settings.push('', 'backup.path', path.resolve(options.backupPath), false)
  }
  return settings
}

/**
 * The keySchema option, checked: TypeError or RangeError naming the option
 * for anything but 1 to (6 - fields the database needs besides) parts of
 * known types with distinct, usable names. undefined for plain keys.
 */
export function checkKeySchema (options: StorageOptions | undefined): KeyPart[] | undefined {
  const schema = options?.keySchema
  if (isUnset(schema)) return undefined
  if (!Array.isArray(schema)) throw new TypeError("The 'keySchema' option must be an array of { name, type } parts")
  const maxParts = MAX_FIELDS - 1 - (isUnset(options?.expire) ? 0 : 1)
  if (schema.length < 1 || schema.length > maxParts) {
    throw new RangeError(`The 'keySchema' option must have 1 to ${maxParts} parts: Sophia holds at most ${MAX_FIELDS} fields per row, ` +
      `including the value${isUnset(options?.expire) ? '' : ' and the timestamp that expire needs'}`)
  }
  const names = new Set<string>()
  return schema.map((part: unknown, i: number) => {
    if (typeof part !== 'object' || part === null) throw new TypeError(`The 'keySchema' option's part ${i} must be an object`)
    const { name, type, binary } = part as { name?: unknown, type?: unknown, binary?: unknown }
    if (typeof name !== 'string') throw new TypeError(`The 'keySchema' option's part ${i} must have a string name`)
    if (!FIELD_NAME.test(name) || RESERVED_FIELD_NAMES.has(name)) {
      throw new RangeError(`The 'keySchema' option's part ${i} has the name '${name}': names are letters, digits and underscores, ` +
        `not starting with a digit, up to 32 characters, and not one of ${[...RESERVED_FIELD_NAMES].join(', ')}`)
    }
    if (names.has(name)) throw new RangeError(`The 'keySchema' option names two parts '${name}'`)
    names.add(name)
    if (typeof type !== 'string') throw new TypeError(`The 'keySchema' option's part '${name}' must have a string type`)
    if (!KEY_PART_TYPES.has(type)) {
      throw new RangeError(`The 'keySchema' option's part '${name}' has the type '${type}', not one of ${[...KEY_PART_TYPES].join(', ')}`)
    }
    if (!isUnset(binary) && typeof binary !== 'boolean') throw new TypeError(`The 'keySchema' option's part '${name}' must have a boolean binary`)
    if (binary === true && type !== 'string') throw new RangeError(`The 'keySchema' option's part '${name}' can only be binary if it is a string`)
    return { name, type: type as KeyPartType, binary: binary === true }
  })
}

/** One database's settings for the native layer, flat like environmentSettings(). */
export function storageSettings (database: string, options: StorageOptions | undefined): unknown[] {
  const settings: unknown[] = []
  const add = (key: string, value: number | string, kept: boolean): void => {
    settings.push(database, key, value, kept)
  }
  // Every field is declared, the default ones included, so that opening a
  // database created with other fields fails (SOPHIA_OPTION_MISMATCH);
  // unless the caller takes whatever fields the database has.
  const storedFields = (options as { [kStoredFields]?: unknown } | undefined)?.[kStoredFields] === true
  const declare = (field: string, fieldOptions: string): void => {
    if (storedFields) return
    add('scheme', field, false)
    add(`scheme.${field}`, fieldOptions, false)
  }
  const keySchema = checkKeySchema(options)
  if (keySchema === undefined) {
    declare('key', 'string,key(0)')
  } else {
    keySchema.forEach((part, i) => declare(part.name, `${part.type},key(${i})`))
  }
  declare('value', 'string')
  if (!isUnset(options?.expire)) {
    declare('timestamp', 'u32,timestamp,expire')
    add('expire', checkInteger('expire', options.expire, 1, 0xffffffff), true)
    add('compaction.expire_period', isUnset(options.expirePeriod) ? 60 : checkInteger('expirePeriod', options.expirePeriod, 1, 0xffffffff), false)
  } else if (!isUnset(options?.expirePeriod)) {
    throw new TypeError("The 'expirePeriod' option needs the 'expire' option")
  }
  if (options == null) return settings
  if (!isUnset(options.compression)) {
    if (typeof options.compression !== 'string') throw new TypeError("The 'compression' option must be a string")
    if ((options.compression as string) === 'lz4') {
      throw new RangeError("The 'compression' option cannot be 'lz4': Sophia 2.2's lz4 compression corrupts values; use 'zstd'")
    }
    if (!COMPRESSIONS.has(options.compression)) {
      throw new RangeError("The 'compression' option must be 'none' or 'zstd'")
    }
    add('compression', options.compression, true)
  }
  const nodeSize = isUnset(options.nodeSize) ? 64 * MIB : checkInteger('nodeSize', options.nodeSize, MIB, 1024 * 1024 * MIB)
  if (!isUnset(options.nodeSize)) add('compaction.node_size', nodeSize, true)
  if (!isUnset(options.pageSize)) add('compaction.page_size', checkInteger('pageSize', options.pageSize, 1024, Math.min(nodeSize, 0xffffffff)), true)
  if (!isUnset(options.pageChecksum)) add('compaction.page_checksum', checkBoolean('pageChecksum', options.pageChecksum) ? 1 : 0, false)
  const mmap = isUnset(options.mmap) ? true : checkBoolean('mmap', options.mmap)
  const directIo = isUnset(options.directIo) ? false : checkBoolean('directIo', options.directIo)
  if (mmap && directIo) throw new RangeError("The 'directIo' option needs 'mmap' to be false")
  if (!isUnset(options.mmap)) add('mmap', mmap ? 1 : 0, false)
  if (!isUnset(options.directIo)) add('direct_io', directIo ? 1 : 0, false)
  if (!isUnset(options.cacheSize)) add('compaction.cache', checkInteger('cacheSize', options.cacheSize, 0, Number.MAX_SAFE_INTEGER), false)
  if (!isUnset(options.gcWatermark)) add('compaction.gc_wm', checkInteger('gcWatermark', options.gcWatermark, 1, 100), false)
  if (!isUnset(options.gcPeriod)) add('compaction.gc_period', checkInteger('gcPeriod', options.gcPeriod, 1, 0xffffffff), false)
  return settings
}
