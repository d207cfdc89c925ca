'use strict'

// Our patch for upstream bug #164 (patches/0001-snapshot-reads-bug-164.patch):
// a C program reads inside a transaction after later commits. Built against
// the patched source it reads the snapshot; built against the source with
// the patch undone it reads the newer data, which shows the patch is needed.

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { applyPatch, patchFiles, depsDir } = require('../scripts/fetch-sophia')

const program = path.join(__dirname, 'native', 'snapshot_reads.c')
const patch = patchFiles().find((file) => file.includes('bug-164'))

function buildAndRun (sourceDir, workDir) {
  const binary = path.join(workDir, 'snapshot_reads')
  execFileSync('cc', ['-O1', '-std=gnu99', '-pthread', '-w', '-I', sourceDir, program,
    path.join(sourceDir, 'sophia.c'), '-o', binary])
  const data = path.join(workDir, 'data')
  fs.mkdirSync(data)
  return spawnSync(binary, [path.join(data, 'env')], { encoding: 'utf8' })
}

test('transactional point reads see their snapshot (patched Sophia)', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-164-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const result = buildAndRun(depsDir, work)
  t.is(result.status, 0, result.stdout.trim())
  t.is((result.stdout.match(/^ok:/gm) || []).length, 3, 'three reads, all right')
  t.end()
})

test('without the patch, the same reads see newer data (bug #164)', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-164-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const unpatched = path.join(work, 'unpatched')
  fs.mkdirSync(unpatched)
  for (const name of ['sophia.c', 'sophia.h']) fs.copyFileSync(path.join(depsDir, name), path.join(unpatched, name))
  applyPatch(patch, unpatched, { reverse: true })
  const result = buildAndRun(unpatched, work)
  t.is(result.status, 1, result.stdout.trim())
  t.ok(/WRONG: read new, expected old/.test(result.stdout), 'reads a version committed after the snapshot')
  t.end()
})
