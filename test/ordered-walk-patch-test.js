'use strict'

// Our patch that prefetches the next nodes of a walk in key order
// (patches/0010-ordered-walk-prefetch.patch): a C program
// (test/native/ordered_walk.c) checks that cursors in the four orders, whole
// and from random keys, read what a model of the data holds, in memory and
// in node files with newer writes in memory over them, and that cursors
// opened before more writes still read what was there then.

const test = require('tape')
const { runNativeChecks } = require('./native-checks')

test('walks in key order read what the data holds', function (t) {
  runNativeChecks(t, { program: 'ordered_walk', checks: 5 })
  t.end()
})
