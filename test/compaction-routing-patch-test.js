'use strict'

// Our compaction routing patch (patches/0008-compaction-routing.patch): a C
// program (test/native/compaction_routing.c) writes keys in transactions
// while Sophia's thread compacts their nodes after deletions, reads each
// back at once, and reads every key after reopening. Without the patch a
// read misses a write just committed, a deletion can be lost, or Sophia
// aborts on an assertion, within seconds.

const test = require('tape')
const { runNativeChecks } = require('./native-checks')

const SECONDS = 20

test('writes made during a compaction are read where routing looks', function (t) {
  runNativeChecks(t, { program: 'compaction_routing', args: [String(SECONDS)], checks: 2, timeout: (SECONDS + 60) * 1000 })
  t.end()
})
