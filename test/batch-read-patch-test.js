'use strict'

// Our batch read patch (patches/0006-cursor-batch-reads.patch): a C program
// (test/native/batch_read.c) reads the same data one record per sp_get and
// in batches through sp_getbatch, and checks that both hand over the same
// records in the same order: in memory, in node files over several nodes,
// both at once, through a read view while writes go on, with deletions and
// overwrites, in both directions, from every kind of start, with a prefix,
// in batches of 1 to all. Then it times a full scan both ways: the reason
// for the patch (printed here, not checked: timing belongs to bench/).

const test = require('tape')
const { runNativeChecks } = require('./native-checks')

test('sp_getbatch hands over what reading one record at a time does', function (t) {
  runNativeChecks(t, { program: 'batch_read', checks: 7 })
  t.end()
})
