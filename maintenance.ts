import ModuleError = require('module-error')
import type { NativeEnvironment } from './native'

// Maintenance is work for Sophia's background threads: these functions ask
// for it (patches/0004 adds the checkpoint and the full garbage collection)
// and poll Sophia's scheduler state until it is done, so the event loop and
// the database's other users carry on meanwhile.

const POLL_MILLISECONDS = 10

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function waitUntil (environment: NativeEnvironment, done: (configuration: Record<string, string>) => boolean, what: string): Promise<void> {
  while (true) {
    const configuration = environment.configuration()
    // A malfunction stops the background threads: the work would never end.
    if (configuration['sophia.status'] !== 'online') {
      throw new ModuleError(`${what} failed: Sophia stopped after an I/O failure (${configuration['sophia.error'] ?? 'no reason given'}); close and reopen the database`, {
        code: 'LEVEL_IO_ERROR'
      })
    }
    if (done(configuration)) return
    await sleep(POLL_MILLISECONDS)
  }
}

/** Every database of the environment, declared or not (see binding/catalog.h). */
export function databasesOf (environment: NativeEnvironment): string[] {
  const configuration = environment.configuration()
  return Object.keys(configuration).filter((key) => /^db\.[^.]+\.name$/.test(key)).map((key) => configuration[key])
}

/**
 * Flushes the databases' in-memory data to their node files, up to the
 * last commit before the call, then deletes the write-ahead log files
 * whose every record is in node files.
 */
export async function checkpoint (environment: NativeEnvironment, databases: string[]): Promise<void> {
  // The checkpoint closes the current log file with an fsync, under Sophia's
  // lock on the JS thread: 15 ms for a 24 MB log here. Synced beforehand on
  // the thread pool, that file holds little left to write by then.
  await environment.syncLog()
  for (const name of databases) environment.command(`db.${name}.compaction.checkpoint`)
  await waitUntil(environment, (c) => databases.every((name) => c[`db.${name}.scheduler.checkpoint`] === '0'), 'Checkpoint')
  environment.command('log.gc')
}

/**
 * Rewrites the nodes whose share of old versions has reached the gcWatermark
 * option (every node holding any, with `all`), dropping the versions no
 * snapshot, iterator or transaction can see any more.
 */
export async function collectGarbage (environment: NativeEnvironment, databases: string[], all: boolean): Promise<void> {
  for (const name of databases) environment.command(`db.${name}.compaction.${all ? 'gc_all' : 'gc'}`)
  await waitUntil(environment, (c) => databases.every((name) => c[`db.${name}.scheduler.gc`] === '0'), 'Garbage collection')
}

/**
 * Checkpoint, then garbage collection of every node, then (for databases
 * with the expire option) removal of expired rows: the databases' files then
 * hold only what reads can see, as far as open snapshots allow.
 */
export async function compact (environment: NativeEnvironment, databases: string[]): Promise<void> {
  await checkpoint(environment, databases)
  await collectGarbage(environment, databases, true)
  const configuration = environment.configuration()
  const expiring = databases.filter((name) => configuration[`db.${name}.expire`] !== '0')
  for (const name of expiring) environment.command(`db.${name}.compaction.expire`)
  await waitUntil(environment, (c) => expiring.every((name) => c[`db.${name}.scheduler.expire`] === '0'), 'Expiry')
  environment.command('log.gc')
}
