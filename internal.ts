import type { NativeDatabase } from './iterator'

// Keys for what the package's classes share among themselves but do not
// expose: not exported from the package's entry points.

/** SophiaLevel option set by SophiaEnv#database(): how to reach the shared environment. */
export const kEnvironmentLink = Symbol('sophia-level.environmentLink')

/**
 * SophiaLevel and SophiaEnv#database() option set by the command-line tool:
 * open the database with the fields it was created with, whatever they are
 * (keys then cross as their byte-string form, see binding/schema.h).
 */
export const kStoredFields = Symbol('sophia-level.storedFields')

/** SophiaLevel getter: its database in the native layer (while open). */
export const kNativeDatabase = Symbol('sophia-level.nativeDatabase')

export interface EnvironmentLink {
  /** The database's name in the environment. */
  name: string
  /** Opens the environment if needed; answers this database's place in it. */
  open (): Promise<NativeDatabase>
}

/** What holds resources that its close() must close: a database or an environment. */
export interface ResourceOwner {
  attachResource (resource: { close (): Promise<void> }): void
  detachResource (resource: { close (): Promise<void> }): void
}
