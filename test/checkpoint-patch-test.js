'use strict'

// Our checkpoint and full gc patch (patches/0004-checkpoint-and-full-gc.patch):
// a C program (test/native/checkpoint.c) fills a database, checkpoints it and
// measures the in-memory index and the write-ahead log before and after,
// reopens it and reads everything back; then shows gc_all dropping the
// duplicates and delete markers that plain gc leaves below gc_wm, a second
// checkpoint moving the target of a pending one, databases checkpointed
// apart, and a checkpoint ending under a steady write load. Built against
// the source with the patch undone, the first call finds no such key.
//
// And the plain gc fix on top of it (patches/0005-gc-with-open-snapshots.patch):
// test/native/gc_snapshot.c holds a cursor open over a node it keeps gc_wm
// percent of, and shows compaction.gc and the periodic gc rewriting the node
// at most once and ending, then dropping the duplicates once the cursor is
// closed. Built with 0005 undone, gc rewrites the node for as long as the
// cursor stays open.

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { applyPatch, patchFiles, depsDir } = require('../scripts/fetch-sophia')

const checkpointProgram = path.join(__dirname, 'native', 'checkpoint.c')
const gcProgram = path.join(__dirname, 'native', 'gc_snapshot.c')

function buildAndRun (sourceDir, workDir, program = checkpointProgram) {
  const binary = path.join(workDir, path.basename(program, '.c'))
  execFileSync('cc', ['-O1', '-std=gnu99', '-pthread', '-w', '-I', sourceDir, program,
    path.join(sourceDir, 'sophia.c'), '-o', binary])
  const data = path.join(workDir, 'data')
  fs.mkdirSync(data)
  return spawnSync(binary, [data], { encoding: 'utf8', timeout: 60000 })
}

// A copy of the patched sources with the named patch undone, and every later
// one first (a later patch may change lines the named one added).
function sourcesWithout (name, workDir) {
  const dir = path.join(workDir, 'unpatched')
  fs.mkdirSync(dir)
  for (const file of ['sophia.c', 'sophia.h']) fs.copyFileSync(path.join(depsDir, file), path.join(dir, file))
  const patches = patchFiles()
  const at = patches.findIndex((file) => path.basename(file).includes(name))
  if (at === -1) throw new Error(`no patch named ${name}`)
  for (const patch of patches.slice(at).reverse()) applyPatch(patch, dir, { reverse: true })
  return dir
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
  const result = buildAndRun(sourcesWithout('checkpoint-and-full-gc', work), work)
  t.is(result.status, 1, result.stdout.trim().split('\n').pop())
  t.ok(/^FAILED: db\.main\.compaction\.checkpoint: .*bad configuration path: db\.main\.compaction\.checkpoint/m.test(result.stdout),
    'Sophia reports the missing configuration path')
  t.end()
})

function failures (stdout) {
  return (stdout.match(/^FAILED: .*$/gm) || []).map((line) => line.slice('FAILED: '.length))
}

test('plain and periodic gc end with a cursor open, and drop the duplicates once it closes (patched Sophia)', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-gc-snapshot-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const result = buildAndRun(depsDir, work, gcProgram)
  t.comment(result.stdout.trim().split('\n').filter((l) => !l.startsWith('ok:')).join('\n'))
  t.is(result.status, 0, 'every check in the program passes')
  t.same(failures(result.stdout), [], 'no check failed')
  t.is((result.stdout.match(/^ok:/gm) || []).length, 11, 'all 11 checks ran')
  const explicit = numbers(result.stdout, 'gc with a later cursor open')
  t.is(explicit.nsn_growth, 1, 'compaction.gc rewrote the node once')
  t.ok(explicit.took <= 2000, `and ended in ${explicit.took} ms`)
  const periodic = numbers(result.stdout, '2.5 s of gc_period=1')
  t.is(periodic.nsn_growth, 0, 'the periodic gc left the node the cursor pins alone')
  t.end()
})

test('without 0005, gc rewrites the node for as long as the cursor stays open', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-gc-snapshot-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const result = buildAndRun(sourcesWithout('gc-with-open-snapshots', work), work, gcProgram)
  t.comment(result.stdout.trim().split('\n').filter((l) => !l.startsWith('ok:')).join('\n'))
  t.is(result.status, 1, 'the program reports failed checks')
  t.same(failures(result.stdout), [
    'gc ends within 2 s with the cursor open',
    'the node is rewritten once',
    'periodic gc rewrites each node at most once'
  ], 'exactly the checks about ending fail')
  const explicit = numbers(result.stdout, 'gc with a later cursor open')
  t.ok(explicit['scheduler.gc'] === 1 && explicit.nsn_growth > 20,
    `scheduler.gc still ${explicit['scheduler.gc']} after 2 s, ${explicit.nsn_growth} node rewrites`)
  const periodic = numbers(result.stdout, '2.5 s of gc_period=1')
  t.ok(periodic.nsn_growth > 20, `periodic gc: ${periodic.nsn_growth} node rewrites in 2.5 s`)
  t.end()
})
