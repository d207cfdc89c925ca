'use strict'

// One of the two databases under test, with its own handles for the
// generator's iterator and snapshot ids. Both sides run the very same code
// for every operation; only opening and closing differ (memory-level stays
// open, see runner.js).

const { clone } = require('./data')
const { SUBLEVEL } = require('./generator')

// Runs `fn` and settles its result into an outcome, telling apart an
// exception thrown synchronously from a rejected promise.
async function settle (fn) {
  let result
  try {
    result = fn()
  } catch (err) {
    return failure(err, true)
  }
  try {
    return { ok: true, value: await result }
  } catch (err) {
    return failure(err, false)
  }
}

function failure (err, sync) {
  if (!(err instanceof Error)) return { ok: false, code: undefined, name: typeof err, message: String(err), sync }
  return { ok: false, code: err.code, name: err.name, message: err.message, sync, error: err }
}

class Side {
  constructor (name, db, mode) {
    this.name = name
    this.mode = mode
    this.iterators = new Map()
    this.snapshots = new Map()
    this.attach(db)
  }

  attach (db) {
    this.db = db
    this.sub = db.sublevel(SUBLEVEL, { keyEncoding: this.mode, valueEncoding: this.mode })
  }

  target (name) {
    return name === 'sub' ? this.sub : this.db
  }

  // Descriptor options with their snapshot id replaced by this side's
  // snapshot, every Buffer copied.
  options (options) {
    if (options === undefined) return undefined
    const copy = {}
    for (const k of Object.keys(options)) copy[k] = clone(options[k])
    if (options.snapshot !== undefined) copy.snapshot = this.snapshots.get(options.snapshot)
    return copy
  }

  batchOperations (operations) {
    return operations.map((op) => {
      const copy = { type: op.type, key: clone(op.key) }
      if (op.type === 'put') copy.value = clone(op.value)
      if (op.sublevel) copy.sublevel = this.sub
      return copy
    })
  }

  put (op) {
    return settle(() => this.target(op.target).put(clone(op.key), clone(op.value), this.options(op.options)))
  }

  del (op) {
    return settle(() => this.target(op.target).del(clone(op.key), this.options(op.options)))
  }

  batch (op) {
    const operations = this.batchOperations(op.operations)
    const options = this.options(op.options)
    return settle(() => options === undefined
      ? this.target(op.target).batch(operations)
      : this.target(op.target).batch(operations, options))
  }

  get (op) {
    return settle(() => this.target(op.target).get(clone(op.key), this.options(op.options)))
  }

  getSync (op) {
    return settle(() => this.target(op.target).getSync(clone(op.key), this.options(op.options)))
  }

  getMany (op) {
    return settle(() => this.target(op.target).getMany(op.keys.map(clone), this.options(op.options)))
  }

  has (op) {
    return settle(() => this.target(op.target).has(clone(op.key), this.options(op.options)))
  }

  hasMany (op) {
    return settle(() => this.target(op.target).hasMany(op.keys.map(clone), this.options(op.options)))
  }

  clear (op) {
    return settle(() => this.target(op.target).clear(this.options(op.options)))
  }

  // Chained batches go one call at a time, so that the runner can compare
  // (and, for oversized keys, skip) each call.
  chainedStart (op) {
    return this.target(op.target).batch()
  }

  chainedAdd (batch, operation) {
    return settle(() => {
      if (operation.type === 'clear') return batch.clear()
      const options = operation.sublevel ? { sublevel: this.sub } : undefined
      if (operation.type === 'put') return batch.put(clone(operation.key), clone(operation.value), options)
      return batch.del(clone(operation.key), options)
    }).then((outcome) => outcome.ok ? { ok: true, value: undefined } : outcome)
  }

  chainedFinish (batch, op) {
    return settle(() => op.finish === 'close' ? batch.close() : batch.write(this.options(op.options)))
  }

  'iterator.create' (op) {
    return settle(() => {
      const iterator = this.target(op.target)[op.kind](this.options(op.options))
      this.iterators.set(op.id, iterator)
    })
  }

  // Operations on an iterator whose creation failed (alike on both sides)
  // are skipped.
  iteratorOp (op, fn) {
    const iterator = this.iterators.get(op.id)
    if (iterator === undefined) return Promise.resolve({ skipped: true })
    return settle(() => fn(iterator))
  }

  'iterator.next' (op) {
    return this.iteratorOp(op, (it) => it.next())
  }

  'iterator.nextv' (op) {
    return this.iteratorOp(op, (it) => it.nextv(op.size))
  }

  'iterator.all' (op) {
    return this.iteratorOp(op, (it) => it.all())
  }

  'iterator.seek' (op) {
    return this.iteratorOp(op, (it) => {
      if (op.options === undefined) it.seek(clone(op.target))
      else it.seek(clone(op.target), { ...op.options })
    })
  }

  'iterator.close' (op) {
    return this.iteratorOp(op, (it) => it.close())
  }

  'snapshot.create' (op) {
    return settle(() => {
      this.snapshots.set(op.id, this.target(op.target).snapshot())
    })
  }

  'snapshot.close' (op) {
    const snapshot = this.snapshots.get(op.id)
    if (snapshot === undefined) return Promise.resolve({ skipped: true })
    return settle(() => snapshot.close())
  }

  // Everything in the database, sublevel included.
  contents () {
    return settle(() => this.db.iterator().all())
  }

  async closeHandles () {
    for (const iterator of this.iterators.values()) await iterator.close()
    for (const snapshot of this.snapshots.values()) await snapshot.close()
  }

  forgetHandles () {
    this.iterators.clear()
    this.snapshots.clear()
  }
}

module.exports = { Side, settle }
