'use strict'

// Our patch that compares keys eight bytes at a time
// (patches/0009-string-compare-by-words.patch): a C program
// (test/native/string_compare.c) that includes Sophia's source checks that
// the new comparison orders strings exactly as upstream's memcmp() did, on
// every pair of short strings over the bytes 00, 7f, 80 and ff and on two
// million random pairs, and that keys written through the API come back in
// order from cursors and are found, and keys next to them are not, with one
// string part and with a u32 part before it.

const test = require('tape')
const { runNativeChecks } = require('./native-checks')

test('keys compared by words order as memcmp() does', function (t) {
  runNativeChecks(t, { program: 'string_compare', checks: 7, includesSophia: true })
  t.end()
})
