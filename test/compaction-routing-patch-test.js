'use strict'

// Our compaction routing patch (patches/0008-compaction-routing.patch): a C
// program (test/native/compaction_routing.c) writes keys in transactions
// while Sophia's thread compacts their nodes after deletions, reads each
// back at once, and reads every key after reopening. Without the patch a
// read misses a write just committed, a deletion can be lost, or Sophia
// aborts on an assertion, within seconds.

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { depsDir } = require('../scripts/fetch-sophia')

const SECONDS = 20

test('writes made during a compaction are read where routing looks', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-routing-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const binary = path.join(work, 'compaction_routing')
  execFileSync('cc', ['-O2', '-std=gnu99', '-pthread', '-w', '-I', depsDir,
    path.join(__dirname, 'native', 'compaction_routing.c'), path.join(depsDir, 'sophia.c'), '-o', binary])
  const result = spawnSync(binary, [path.join(work, 'data'), String(SECONDS)], { encoding: 'utf8', timeout: (SECONDS + 60) * 1000 })
  const lines = result.stdout.trim().split('\n')
  for (const line of lines) {
    if (line.startsWith('ok: ')) t.pass(line.slice(4))
    else if (line.startsWith('FAILED: ')) t.fail(line.slice(8))
    else t.comment(line)
  }
  t.is(result.status, 0, `exit status 0 (${result.signal ?? 'no signal'}, stderr: ${result.stderr.trim() || 'empty'})`)
  t.is(lines.filter((line) => /^(ok|FAILED): /.test(line)).length, 2, 'every check ran')
  t.end()
})
