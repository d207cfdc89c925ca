'use strict'

// A "database" that stores nothing and answers at once: every put, del and
// batch resolves, every get answers the same value, every getMany the same
// array. Timing the point workloads on it measures the harness's own share
// of an operation (building keys and operations, awaiting the promise, the
// checks), which any backend pays on top of its storage's work. Added to
// native C's time, that gives a tighter floor (see report.js).

const { VALUE_SIZE } = require('./dataset')
const { GET_MANY_SIZE } = require('./workloads')

const VALUE = Buffer.alloc(VALUE_SIZE)
const MANY = new Array(GET_MANY_SIZE).fill(VALUE)

function createNoStorage () {
  return {
    async open () {},
    async close () {},
    async put () {},
    async del () {},
    async batch () {},
    async get () { return VALUE },
    async getMany () { return MANY }
  }
}

/** The backend, in the shape of backends.js's entries. */
const NO_STORAGE = Object.freeze({ name: 'no storage', persistent: false, create: createNoStorage })

module.exports = { NO_STORAGE }
