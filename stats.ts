import fs = require('fs')
import path = require('path')

/** Minimum, maximum and average, in microseconds, as Sophia measures them (its minimum is always 0 in 2.2). */
export interface Latency {
  min: number
  max: number
  average: number
}

/** db.stats(): one database, and the environment it lives in. */
export interface SophiaStats {
  /** Sophia's state of the environment: 'online' while all is well, 'malfunction' after an I/O failure. */
  status: string
  /**
   * Records in the database's index: every key's latest version, deletions
   * included until compaction removes them (Sophia keeps no count of live
   * keys; count them with db.keys() if needed).
   */
  records: number
  /** Older versions still kept (for open snapshots and transactions, or awaiting garbage collection). */
  duplicates: number
  /** Bytes of the in-memory index not yet flushed to node files. */
  memoryUsed: number
  /** Bytes of the database files on disk, and what they hold before compression. */
  diskSize: number
  diskSizeUncompressed: number
  nodes: number
  pages: number
  /** Reads served from node files on disk, and from Sophia's page cache. */
  readsFromDisk: number
  readsFromCache: number
  /**
   * Operations since opening: single puts and deletes (batches and
   * transactions count under `transactions`), point reads and cursors.
   */
  operations: { put: number, del: number, get: number, cursor: number }
  latency: { put: Latency, del: Latency, get: Latency, cursor: Latency }
  /** The write-ahead log: data not yet in node files lives there, and Sophia removes a file only once all of its data is. */
  log: { files: number, bytes: number }
  transactions: { open: number, commits: number, rollbacks: number, conflicts: number, locks: number }
}

function number (configuration: Record<string, string>, key: string): number {
  const value = Number(configuration[key])
  return Number.isFinite(value) ? value : 0
}

function latency (configuration: Record<string, string>, key: string): Latency {
  const [min, max, average] = (configuration[key] ?? '').split(' ').map(Number)
  return { min: min || 0, max: max || 0, average: average || 0 }
}

function logBytes (directory: string | undefined): number {
  if (directory === undefined || directory === '') return 0
  let total = 0
  for (const name of fs.readdirSync(directory)) {
    if (!name.endsWith('.log')) continue
    try {
      total += fs.statSync(path.join(directory, name)).size
    } catch {
      // Sophia may remove a log file as we list them.
    }
  }
  return total
}

/** Builds the statistics of `database` from the environment's configuration dump. */
export function buildStats (configuration: Record<string, string>, database: string): SophiaStats {
  const db = `db.${database}.`
  return {
    status: configuration['sophia.status'] ?? '',
    records: number(configuration, `${db}index.count`),
    duplicates: number(configuration, `${db}index.count_dup`),
    memoryUsed: number(configuration, `${db}index.memory_used`),
    diskSize: number(configuration, `${db}index.size`),
    diskSizeUncompressed: number(configuration, `${db}index.size_uncompressed`),
    nodes: number(configuration, `${db}index.node_count`),
    pages: number(configuration, `${db}index.page_count`),
    readsFromDisk: number(configuration, `${db}index.read_disk`),
    readsFromCache: number(configuration, `${db}index.read_cache`),
    operations: {
      put: number(configuration, `${db}stat.set`),
      del: number(configuration, `${db}stat.delete`),
      get: number(configuration, `${db}stat.get`),
      cursor: number(configuration, `${db}stat.cursor`)
    },
    latency: {
      put: latency(configuration, `${db}stat.set_latency`),
      del: latency(configuration, `${db}stat.delete_latency`),
      get: latency(configuration, `${db}stat.get_latency`),
      cursor: latency(configuration, `${db}stat.cursor_latency`)
    },
    log: { files: number(configuration, 'log.files'), bytes: logBytes(configuration['log.path']) },
    transactions: {
      open: number(configuration, 'transaction.online_rw'),
      commits: number(configuration, 'transaction.commit'),
      rollbacks: number(configuration, 'transaction.rollback'),
      conflicts: number(configuration, 'transaction.conflict'),
      locks: number(configuration, 'transaction.lock')
    }
  }
}
