import fs = require('fs')
import path = require('path')
import ModuleError = require('module-error')
import type { NativeEnvironment } from './native'

const POLL_MILLISECONDS = 25

/**
 * Backs up a whole environment while it stays in use: Sophia's background
 * threads copy the database files and the write-ahead log into
 * `<backupPath>/<n>`, which opens as a normal database. Resolves with that
 * directory once the copy is complete.
 */
export async function backUp (environment: NativeEnvironment, location: string): Promise<string> {
  const before = environment.configuration()
  const backupPath = before['backup.path']
  if (backupPath === undefined || backupPath === '') {
    throw new ModuleError('Backups are off: give the backupPath option when creating the database or environment', {
      code: 'SOPHIA_BACKUP_DISABLED'
    })
  }
  await fs.promises.mkdir(backupPath, { recursive: true })
  const previous = Number(before['backup.last'])
  // Sophia's background threads copy the files; progress shows in
  // backup.active, backup.last and backup.last_complete.
  environment.command('backup.run')
  while (true) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MILLISECONDS))
    const now = environment.configuration()
    if (now['backup.active'] !== '0') continue
    const last = Number(now['backup.last'])
    if (last > previous && now['backup.last_complete'] === '1') {
      const directory = path.join(backupPath, String(last))
      await copyCatalog(location, directory)
      return directory
    }
    throw new ModuleError(`Backup failed: ${now['sophia.error'] ?? 'Sophia gave no reason'}`, { code: 'SOPHIA_ERROR' })
  }
}

// Sophia copies its own files; the order of declaration of the databases
// (see binding/catalog.h) must come along for the backup to open right.
async function copyCatalog (location: string, directory: string): Promise<void> {
  const catalog = path.join(location, 'databases')
  if (!fs.existsSync(catalog)) return
  const target = path.join(directory, 'databases')
  await fs.promises.copyFile(catalog, target)
  const handle = await fs.promises.open(target, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
