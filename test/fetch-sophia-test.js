'use strict'

// scripts/fetch-sophia.js, run in a copy of the project's layout so that the
// real deps/sophia/ is never touched.

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')
const { spawnSync } = require('child_process')
const { applyPatch, patchFiles, depsDir } = require('../scripts/fetch-sophia')

const root = path.join(__dirname, '..')
const pins = require('../deps/sophia/sources.json')
const installedDir = path.join('/', pins.directory)

function sha256 (file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

// A scratch project with the script, the pins and the patches, plus a
// directory of pristine (unpatched) sources.
function scratch (t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-fetch-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, 'scripts'))
  fs.mkdirSync(path.join(dir, 'deps', 'sophia'), { recursive: true })
  fs.cpSync(path.join(root, 'patches'), path.join(dir, 'patches'), { recursive: true })
  fs.copyFileSync(path.join(root, 'scripts', 'fetch-sophia.js'), path.join(dir, 'scripts', 'fetch-sophia.js'))
  fs.copyFileSync(path.join(depsDir, 'sources.json'), path.join(dir, 'deps', 'sophia', 'sources.json'))
  const pristine = path.join(dir, 'pristine')
  fs.mkdirSync(pristine)
  for (const name of ['sophia.c', 'sophia.h']) fs.copyFileSync(path.join(depsDir, name), path.join(pristine, name))
  for (const patch of patchFiles().reverse()) applyPatch(patch, pristine, { reverse: true })
  return { dir, pristine }
}

function run (dir, env) {
  return spawnSync(process.execPath, [path.join(dir, 'scripts', 'fetch-sophia.js')], {
    encoding: 'utf8',
    env: { ...process.env, ...env }
  })
}

function hasNoStackTrace (t, text) {
  t.notOk(/^\s+at /m.test(text), 'no stack trace')
}

test('fetch: verifies the pristine sources, patches them and checks the result', function (t) {
  const { dir, pristine } = scratch(t)
  t.is(sha256(path.join(pristine, 'sophia.c')), pins.files['sophia.c'].upstream, 'undoing our patches gives the upstream file')
  const result = run(dir, { SOPHIA_LEVEL_SOURCE_DIR: pristine })
  t.is(result.status, 0, result.stderr)
  for (const [name, pin] of Object.entries(pins.files)) {
    t.is(sha256(path.join(dir, 'deps', 'sophia', name)), pin.patched, `${name} matches its patched pin`)
  }
  const again = run(dir, {})
  t.is(again.status, 0, 'a second run finds the sources in place')
  t.is(again.stdout, '', 'and does nothing')
  t.end()
})

test('fetch: a source that does not match its pinned sum is refused with a clear message', function (t) {
  const { dir, pristine } = scratch(t)
  fs.appendFileSync(path.join(pristine, 'sophia.c'), '\n/* tampered */\n')
  const result = run(dir, { SOPHIA_LEVEL_SOURCE_DIR: pristine })
  t.is(result.status, 1)
  t.ok(/sophia-level: sophia\.c from golang-github-pzhin-go-sophia-dev has SHA-256 [0-9a-f]{64}, expected 26b75250/.test(result.stderr), result.stderr.split('\n')[0])
  hasNoStackTrace(t, result.stderr)
  t.notOk(fs.existsSync(path.join(dir, 'deps', 'sophia', 'sophia.c')), 'nothing placed')
  t.end()
})

test('fetch: a missing source file is reported', function (t) {
  const { dir, pristine } = scratch(t)
  fs.rmSync(path.join(pristine, 'sophia.h'))
  const result = run(dir, { SOPHIA_LEVEL_SOURCE_DIR: pristine })
  t.is(result.status, 1)
  t.ok(/has no sophia\.h/.test(result.stderr), result.stderr.split('\n')[0])
  hasNoStackTrace(t, result.stderr)
  t.end()
})

test('fetch: a package that cannot be obtained gives a message, not a stack trace', { skip: fs.existsSync(installedDir) && 'the package is installed on this machine' }, function (t) {
  const { dir } = scratch(t)
  const emptyPath = path.join(dir, 'no-tools')
  fs.mkdirSync(emptyPath)
  const result = run(dir, { PATH: emptyPath })
  t.is(result.status, 1)
  t.ok(/sophia-level: could not download Debian's golang-github-pzhin-go-sophia-dev/.test(result.stderr), result.stderr.split('\n')[0])
  t.ok(/apt-get install golang-github-pzhin-go-sophia-dev/.test(result.stderr), 'says how to install it')
  hasNoStackTrace(t, result.stderr)
  t.end()
})
