'use strict'

// Sophia's heap (binding/sophia_memory.c): its own checks, in a C program
// that includes it whole with a reservation small enough to use up, and
// then that the addon's Sophia really allocates from it.

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')

const CHUNK = 2 * 1024 * 1024
const CHECKS = 22

test('the heap hands out, reuses and recycles blocks, from 4 threads, and falls back to the C heap when full', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-memory-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const binary = path.join(work, 'sophia_memory')
  const reserve = '((size_t)8<<20)'
  execFileSync('cc', ['-O1', '-std=gnu99', '-pthread', '-Wall', '-Wextra', '-Werror', `-DRESERVE_MAX=${reserve}`,
    `-DRESERVE_MIN=${reserve}`, path.join(__dirname, 'native', 'sophia_memory.c'), '-o', binary])
  const result = spawnSync(binary, ['4', '200000'], { encoding: 'utf8', timeout: 60000 })
  const lines = result.stdout.trim().split('\n')
  for (const line of lines) {
    if (line.startsWith('ok: ')) t.pass(line.slice(4))
    else if (line.startsWith('FAILED: ')) t.fail(line.slice(8))
    else t.comment(line)
  }
  t.is(result.status, 0, `exit status 0 (${result.signal ?? 'no signal'}, stderr: ${result.stderr.trim() || 'empty'})`)
  const ran = lines.filter((line) => /^(ok|FAILED): /.test(line)).length
  t.is(ran, CHECKS, 'every check ran')
  t.end()
})

test("the addon's Sophia allocates from the heap", function (t) {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-memory-'))
  t.teardown(() => fs.rmSync(location, { recursive: true, force: true }))
  const result = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'heap-growth.js'), location, '40000'],
    { encoding: 'utf8', timeout: 60000 })
  t.is(result.status, 0, `the writer exits 0 (stderr: ${result.stderr.trim() || 'empty'})`)
  const { before, after, readBack } = JSON.parse(result.stdout)
  t.ok(before > 0 && before % CHUNK === 0, `after the first row: a reservation of 32 GiB or more, ${before / CHUNK} chunk(s) of 2 MiB committed`)
  const grown = after - before
  t.ok(grown >= 2 * CHUNK && grown % CHUNK === 0, `40,000 rows of 100 bytes committed ${grown / CHUNK} more chunks`)
  t.ok(readBack, 'the last row reads back')
  t.end()
})
