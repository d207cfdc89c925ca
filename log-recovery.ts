import fs = require('fs')
import ModuleError = require('module-error')
import type { NativeEnvironment } from './native'
import { dropTornTail, inspectLog, salvageLog } from './write-ahead-log'
import type { SalvageResult } from './write-ahead-log'

/**
 * Checks the write-ahead log before an environment opens, holding the
 * environment's lock so that no one can be writing to it. A torn tail (an
 * interrupted write) is cut off, its bytes kept beside the log and a warning
 * emitted (code SOPHIA_TORN_LOG_TAIL); damage anywhere else is
 * LEVEL_CORRUPTION, because Sophia would refuse the log or, worse, skip part
 * of it without a word. On success the lock stays held for open().
 */
export async function recoverLog (environment: NativeEnvironment, location: string, logDirectory: string): Promise<void> {
  if (!fs.existsSync(logDirectory) || !fs.existsSync(location)) return
  environment.lock(location)
  try {
    const inspection = await inspectLog(logDirectory)
    if (inspection.status === 'damaged') {
      const damaged = inspection.files.find((file) => file.tail === 'damage')
      const where = damaged === undefined ? logDirectory : `${damaged.file} at byte ${damaged.problemOffset}: ${damaged.problem}`
      throw new ModuleError(`The write-ahead log is damaged (${where}); SophiaLevel.repair() salvages what can be saved`, {
        code: 'LEVEL_CORRUPTION'
      })
    }
    if (inspection.status === 'torn-tail') {
      const trimmed = await dropTornTail(logDirectory, inspection)
      if (trimmed !== null) {
        process.emitWarning(`Dropped ${trimmed.droppedBytes} bytes of an interrupted write at the end of ${trimmed.file}` +
          (trimmed.savedTo === null ? '' : `; they are kept in ${trimmed.savedTo}`), { code: 'SOPHIA_TORN_LOG_TAIL' })
      }
    }
  } catch (err) {
    environment.unlock()
    throw asLevelError(err)
  }
}

// A failed read or write of the log (a full disk, say) is an I/O error.
function asLevelError (err: unknown): unknown {
  if (err instanceof ModuleError || typeof (err as { syscall?: unknown })?.syscall !== 'string') return err
  const { message } = err as Error
  return new ModuleError(`Cannot check the write-ahead log: ${message}`, { code: 'LEVEL_IO_ERROR', cause: err as Error })
}

/** Salvages a damaged write-ahead log while holding the environment's lock (see SophiaLevel.repair()). */
export async function repairLog (environment: NativeEnvironment, location: string, logDirectory: string): Promise<SalvageResult> {
  environment.lock(location)
  try {
    return await salvageLog(logDirectory)
  } finally {
    environment.unlock()
  }
}
