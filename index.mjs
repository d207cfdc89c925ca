// ESM entry point: re-exports the CommonJS build, so that `import` and
// `require` share one set of classes (no dual-instance hazard).
import sophiaLevel from './dist/index.js'

export const {
  SophiaLevel,
  SophiaEnv,
  SophiaIterator,
  SophiaKeyIterator,
  SophiaValueIterator,
  SophiaChainedBatch,
  SophiaSnapshot,
  SophiaSublevel,
  SophiaTransaction,
  withCallbacks
} = sophiaLevel

export default sophiaLevel
