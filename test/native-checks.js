'use strict'

// Runs one of the C programs of test/native/ that check our patches to
// Sophia: builds it against our Sophia build, runs it on a fresh data
// directory, and reports each of its "ok: ..." and "FAILED: ..." lines as
// an assertion (and its other lines as comments); then checks that it
// exited with 0 and that all of its `checks` ran.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { depsDir } = require('../scripts/fetch-sophia')

// A program with `includesSophia` set compiles Sophia's source into itself,
// to reach its internal functions.
function runNativeChecks (t, { program, args = [], checks, timeout = 60000, includesSophia = false }) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `sophia-${program}-`))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const binary = path.join(work, program)
  const sources = [path.join(__dirname, 'native', `${program}.c`)]
  if (!includesSophia) sources.push(path.join(depsDir, 'sophia.c'))
  execFileSync('cc', ['-O2', '-std=gnu99', '-pthread', '-w', '-I', depsDir, ...sources, '-o', binary])
  const result = spawnSync(binary, [path.join(work, 'data'), ...args], { encoding: 'utf8', timeout })
  const lines = result.stdout.trim().split('\n')
  for (const line of lines) {
    if (line.startsWith('ok: ')) t.pass(line.slice(4))
    else if (line.startsWith('FAILED: ')) t.fail(line.slice(8))
    else t.comment(line)
  }
  t.is(result.status, 0, `exit status 0 (${result.signal ?? 'no signal'}, stderr: ${result.stderr.trim() || 'empty'})`)
  t.is(lines.filter((line) => /^(ok|FAILED): /.test(line)).length, checks, 'every check ran')
}

module.exports = { runNativeChecks }
