import path = require('path')
import ModuleError = require('module-error')

// The native binding's interface (binding/*.cc). Keys, values and bounds
// cross as strings (UTF-8) or Uint8Arrays; see binding/bytes.h.
export type Bytes = string | Uint8Array

export interface NativeSnapshot {
  close (): void
}

export interface NativeTransaction {
  get (key: Bytes, valueAsBuffer: boolean): string | Buffer | undefined
  getMany (keys: Bytes[], valueAsBuffer: boolean): Array<string | Buffer | undefined>
  has (key: Bytes): boolean
  hasMany (keys: Bytes[]): boolean[]
  put (key: Bytes, value: Bytes): void
  del (key: Bytes): void
  commit (): void
  rollback (): void
}

export interface NativeIterator {
  nextv (count: number, byteBudget: number): Buffer | undefined
  seek (target: Bytes): void
  deleteNext (count: number): number
  close (): void
}

export interface NativeDatabase {
  open (location: string, createIfMissing: boolean, errorIfExists: boolean, threads: number): Promise<void>
  close (): Promise<void>
  put (key: Bytes, value: Bytes): void
  del (key: Bytes): void
  get (key: Bytes, valueAsBuffer: boolean, snapshot?: NativeSnapshot): string | Buffer | undefined
  getMany (keys: Bytes[], valueAsBuffer: boolean, snapshot?: NativeSnapshot): Array<string | Buffer | undefined>
  has (key: Bytes, snapshot?: NativeSnapshot): boolean
  hasMany (keys: Bytes[], snapshot?: NativeSnapshot): boolean[]
  batch (operations: unknown[]): void
  syncLog (): Promise<void>
  iterator (flags: number, lower: Bytes | undefined, upper: Bytes | undefined, snapshot?: NativeSnapshot, transaction?: NativeTransaction): NativeIterator
  snapshot (): NativeSnapshot
  transaction (): NativeTransaction
}

interface Binding {
  Database: new () => NativeDatabase
  setErrorClass (errorClass: typeof ModuleError): void
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadBinding: (root: string) => Binding = require('node-gyp-build')

const binding = loadBinding(path.join(__dirname, '..'))
binding.setErrorClass(ModuleError)

export const NativeDatabaseClass = binding.Database

// Operation kinds of NativeDatabase#batch (binding/database.cc).
export const BATCH_PUT = 0
export const BATCH_DEL = 1
