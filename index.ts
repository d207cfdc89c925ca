// The package's entry point (CommonJS; index.mjs re-exports it for ESM).

export { SophiaLevel } from './sophia-level'
export type { DatabaseOptions, OpenOptions, SophiaIteratorOptions, SophiaReadOptions, SophiaWriteOptions } from './sophia-level'
export type { EnvironmentSettingsOptions, KeyPart, KeyPartType, StorageOptions } from './options'
export type { KeyParts } from './key-schema'
export type { Latency, SophiaStats } from './stats'
export type { SalvageResult, TrimmedLogFile } from './write-ahead-log'
export { SophiaEnv } from './sophia-env'
export type { EnvironmentOptions } from './sophia-env'
export { SophiaTransaction } from './transaction'
export type {
  ManagedTransactionOptions,
  TransactionCommitOptions,
  TransactionDelOptions,
  TransactionPutOptions,
  TransactionTargetOptions
} from './transaction'
export { SophiaIterator, SophiaKeyIterator, SophiaValueIterator } from './iterator'
export { SophiaChainedBatch } from './chained-batch'
export { SophiaSnapshot } from './snapshot'
export { SophiaSublevel } from './sublevel'
export type { PrefixOption } from './prefix'
export { withCallbacks } from './with-callbacks'
export type { Callback, CallbackDatabase, CallbackIterator, CallbackKeyIterator, CallbackValueIterator } from './with-callbacks'
