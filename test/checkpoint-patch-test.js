'use strict'

// Our checkpoint and full gc patch (patches/0004-checkpoint-and-full-gc.patch):
// a C program (test/native/checkpoint.c) fills a database, checkpoints it and
// measures the in-memory index and the write-ahead log before and after,
// reopens it and reads everything back; then shows gc_all dropping the
// duplicates and delete markers that plain gc leaves below gc_wm, a second
// checkpoint moving the target of a pending one, databases checkpointed
// apart, and a checkpoint ending under a steady write load. Built against
// the source with the patch undone, the first call finds no such key.

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { applyPatch, patchFiles, depsDir } = require('../scripts/fetch-sophia')

const program = path.join(__dirname, 'native', 'checkpoint.c')
const patch = patchFiles().find((file) => file.includes('checkpoint'))

function buildAndRun (sourceDir, workDir) {
  const binary = path.join(workDir, 'checkpoint')
  execFileSync('cc', ['-O1', '-std=gnu99', '-pthread', '-w', '-I', sourceDir, program,
    path.join(sourceDir, 'sophia.c'), '-o', binary])
  const data = path.join(workDir, 'data')
  fs.mkdirSync(data)
  return spawnSync(binary, [data], { encoding: 'utf8', timeout: 60000 })
}

function numbers (stdout, label) {
  const line = stdout.split('\n').find((l) => l.startsWith(label))
  const found = {}
  if (line) for (const [, name, value] of line.matchAll(/([\w.]+)=(\d+)/g)) found[name] = Number(value)
  return found
}

test('checkpoint flushes memory and lets the log go; gc_all ignores gc_wm (patched Sophia)', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-checkpoint-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const result = buildAndRun(depsDir, work)
  t.comment(result.stdout.trim().split('\n').filter((l) => !l.startsWith('ok:')).join('\n'))
  t.is(result.status, 0, 'every check in the program passes')
  t.notOk(/^FAILED/m.test(result.stdout), (result.stdout.match(/^FAILED.*$/gm) || []).join('; ') || 'no check failed')
  t.is((result.stdout.match(/^ok:/gm) || []).length, 26, 'all 26 checks ran')

  const before = numbers(result.stdout, '1 worker(s), before checkpoint')
  const after = numbers(result.stdout, 'after checkpoint (')
  t.ok(before['log.files'] >= 5 && after['log.files'] === 1,
    `log files: ${before['log.files']} -> ${after['log.files']}`)
  t.ok(after.log_bytes < before.log_bytes / 100, `log bytes: ${before.log_bytes} -> ${after.log_bytes}`)
  t.ok(before.memory_used > 0 && after.memory_used === 0,
    `memory_used: ${before.memory_used} -> ${after.memory_used}`)
  t.end()
})

test('without the patch, the checkpoint key does not exist', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-checkpoint-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const unpatched = path.join(work, 'unpatched')
  fs.mkdirSync(unpatched)
  for (const name of ['sophia.c', 'sophia.h']) fs.copyFileSync(path.join(depsDir, name), path.join(unpatched, name))
  applyPatch(patch, unpatched, { reverse: true })
  const result = buildAndRun(unpatched, work)
  t.is(result.status, 1, result.stdout.trim().split('\n').pop())
  t.ok(/^FAILED: db\.main\.compaction\.checkpoint: .*bad configuration path: db\.main\.compaction\.checkpoint/m.test(result.stdout),
    'Sophia reports the missing configuration path')
  t.end()
})
