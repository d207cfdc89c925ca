import path = require('path')
import { Buffer } from 'buffer'
import ModuleError = require('module-error')

// The native binding's interface (binding/*.cc). Keys, values and bounds
// cross as strings (UTF-8) or Uint8Arrays; see binding/bytes.h.
export type Bytes = string | Uint8Array

export interface NativeSnapshot {
  close (): void
}

// Databases are named by their index in the environment, which open()
// answers for the names it was given.
export interface NativeTransaction {
  get (db: number, key: Bytes, valueAsBuffer: boolean): string | Buffer | undefined
  getMany (db: number, keys: Bytes[], valueAsBuffer: boolean): Array<string | Buffer | undefined>
  has (db: number, key: Bytes): boolean
  hasMany (db: number, keys: Bytes[]): boolean[]
  put (db: number, key: Bytes, value: Bytes): void
  del (db: number, key: Bytes): void
  commit (): void
  rollback (): void
}

export interface NativeIterator {
  nextv (count: number, byteBudget: number): Buffer | undefined
  seek (target: Bytes): void
  deleteNext (count: number): number
  close (): void
}

export interface NativeEnvironment {
  /** settings: flat [database, key, value, kept] quadruples (see options.ts). */
  open (location: string, createIfMissing: boolean, errorIfExists: boolean, threads: number, databases: string[], settings: unknown[]): Promise<number[]>
  close (): Promise<void>
  /** Takes the directory lock ahead of open() (which keeps it); throws LEVEL_LOCKED. */
  lock (location: string): void
  unlock (): void
  put (db: number, key: Bytes, value: Bytes): void
  del (db: number, key: Bytes): void
  /**
   * With `into`, a Buffer value that fits is copied into it and its size
   * returned instead of the value.
   */
  get (db: number, key: Bytes, valueAsBuffer: boolean, snapshot?: NativeSnapshot, into?: Buffer): string | Buffer | number | undefined
  /** Answers packed as readPackedValues() reads them. */
  getMany (db: number, keys: Bytes[], snapshot?: NativeSnapshot): Buffer
  has (db: number, key: Bytes, snapshot?: NativeSnapshot): boolean
  hasMany (db: number, keys: Bytes[], snapshot?: NativeSnapshot): boolean[]
  /** The frames and fields of a BatchPacker. */
  batch (db: number, frames: Buffer, fields: unknown[]): void
  syncLog (): Promise<void>
  iterator (db: number, flags: number, lower: Bytes | undefined, upper: Bytes | undefined, snapshot?: NativeSnapshot, transaction?: NativeTransaction): NativeIterator
  snapshot (): NativeSnapshot
  transaction (): NativeTransaction
  /** Every configuration and statistics key, with its value as Sophia prints it. */
  configuration (): Record<string, string>
  /** Runs one of Sophia's configuration functions, e.g. 'log.gc'. */
  command (path: string): void
}

interface Binding {
  Environment: new () => NativeEnvironment
  setErrorClass (errorClass: typeof ModuleError): void
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadBinding: (root: string) => Binding = require('node-gyp-build')

const binding = loadBinding(path.join(__dirname, '..'))
binding.setErrorClass(ModuleError)

export const NativeEnvironmentClass = binding.Environment

// Size of a missing value in packed answers (binding/packed.h).
const MISSING = 0xffffffff

/**
 * Reads `count` values packed by the binding (each a u32le size and its
 * bytes, or the size 0xffffffff alone for a missing value) as strings or as
 * Buffers sharing the packed one's memory.
 */
export function readPackedValues (packed: Buffer, count: number, asBuffer: boolean): Array<string | Buffer | undefined> {
  const values = new Array<string | Buffer | undefined>(count)
  // Read once: packed.buffer costs a call into V8's runtime each time.
  const memory = packed.buffer
  const start = packed.byteOffset
  let offset = 0
  for (let i = 0; i < count; i++) {
    const size = packed.readUInt32LE(offset)
    offset += 4
    if (size === MISSING) {
      values[i] = undefined
      continue
    }
    values[i] = asBuffer
      ? Buffer.from(memory, start + offset, size)
      : packed.toString('utf8', offset, offset + size)
    offset += size
  }
  return values
}
