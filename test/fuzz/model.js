'use strict'

// The reference model: memory-level, in the run's encodings, plus what
// memory-level does not know, sophia-level's key limit. An operation whose
// key is over it (1024 bytes, sublevel prefix included) must be refused by
// sophia-level with SOPHIA_KEY_TOO_LARGE and leave everything as it was; it
// is not given to memory-level at all, so that both stay comparable.

const { MemoryLevel } = require('memory-level')
const { MAX_KEY, byteLength } = require('./data')
const { SUBLEVEL_PREFIX_BYTES } = require('./generator')

const KEY_TOO_LARGE = 'SOPHIA_KEY_TOO_LARGE'

function createReference (mode) {
  return new MemoryLevel({ keyEncoding: mode, valueEncoding: mode })
}

// The size sophia-level sees: the encoded key and the sublevel prefix.
function keySize (key, target) {
  return byteLength(key) + (target === 'sub' ? SUBLEVEL_PREFIX_BYTES : 0)
}

function tooLarge (key, target) {
  return keySize(key, target) > MAX_KEY
}

function batchTarget (op, operation) {
  return operation.sublevel ? 'sub' : op.target
}

// Why sophia-level must refuse `op` (a short text), or null. Chained batches
// are judged call by call by the runner.
function refusal (op) {
  switch (op.type) {
    case 'put':
    case 'del':
    case 'get':
    case 'getSync':
    case 'has':
      return tooLarge(op.key, op.target) ? `a key of ${keySize(op.key, op.target)} bytes` : null
    case 'getMany':
    case 'hasMany': {
      const i = op.keys.findIndex((key) => tooLarge(key, op.target))
      return i === -1 ? null : `keys[${i}] has ${keySize(op.keys[i], op.target)} bytes`
    }
    case 'batch': {
      const i = op.operations.findIndex((o) => tooLarge(o.key, batchTarget(op, o)))
      return i === -1 ? null : `operations[${i}] has a key of ${keySize(op.operations[i].key, batchTarget(op, op.operations[i]))} bytes`
    }
    default:
      return null
  }
}

module.exports = { createReference, refusal, tooLarge, keySize, batchTarget, KEY_TOO_LARGE }
