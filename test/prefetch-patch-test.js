'use strict'

// Our prefetch patch (patches/0007-prefetch-index-paths.patch): a C program
// (test/native/prefetch.c) checks that sp_prefetch, and the prefetch of a
// transaction's writes, change nothing but speed: reads after sp_prefetch
// answer as a model of the data says (present, overwritten, deleted and
// missing keys; in memory, in node files and both; through a read view
// while writes go on; keys of two parts; while a checkpoint runs), writes
// committed in transactions of every size and order leave what they wrote,
// and bad calls answer -1 with an error. Then it times reads of 100 random
// keys with and without sp_prefetch: the reason for the patch (printed
// here, not checked: timing belongs to bench/).

const test = require('tape')
const { runNativeChecks } = require('./native-checks')

test('sp_prefetch and the prefetch of writes change nothing but speed', function (t) {
  runNativeChecks(t, { program: 'prefetch', checks: 17 })
  t.end()
})
