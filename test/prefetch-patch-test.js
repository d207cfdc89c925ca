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
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { depsDir } = require('../scripts/fetch-sophia')

test('sp_prefetch and the prefetch of writes change nothing but speed', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-prefetch-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const binary = path.join(work, 'prefetch')
  execFileSync('cc', ['-O2', '-std=gnu99', '-pthread', '-w', '-I', depsDir, path.join(__dirname, 'native', 'prefetch.c'),
    path.join(depsDir, 'sophia.c'), '-o', binary])
  const result = spawnSync(binary, [path.join(work, 'data')], { encoding: 'utf8', timeout: 120000 })
  const lines = result.stdout.trim().split('\n')
  for (const line of lines) {
    if (line.startsWith('ok: ')) t.pass(line.slice(4))
    else if (line.startsWith('FAILED: ')) t.fail(line.slice(8))
    else t.comment(line)
  }
  t.is(result.status, 0, `exit status 0 (${result.signal ?? 'no signal'}, stderr: ${result.stderr.trim() || 'empty'})`)
  t.is(lines.filter((line) => /^(ok|FAILED): /.test(line)).length, 17, 'every check ran')
  t.end()
})
