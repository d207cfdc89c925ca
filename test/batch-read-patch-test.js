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
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { depsDir } = require('../scripts/fetch-sophia')

test('sp_getbatch hands over what reading one record at a time does', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-batch-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const binary = path.join(work, 'batch_read')
  execFileSync('cc', ['-O2', '-std=gnu99', '-pthread', '-w', '-I', depsDir, path.join(__dirname, 'native', 'batch_read.c'),
    path.join(depsDir, 'sophia.c'), '-o', binary])
  const result = spawnSync(binary, [path.join(work, 'data')], { encoding: 'utf8', timeout: 60000 })
  const lines = result.stdout.trim().split('\n')
  for (const line of lines) {
    if (line.startsWith('ok: ')) t.pass(line.slice(4))
    else if (line.startsWith('FAILED: ')) t.fail(line.slice(8))
    else t.comment(line)
  }
  t.is(result.status, 0, `exit status 0 (${result.signal ?? 'no signal'}, stderr: ${result.stderr.trim() || 'empty'})`)
  t.is(lines.filter((line) => /^(ok|FAILED): /.test(line)).length, 7, 'every check ran')
  t.end()
})
