'use strict'

// Places Sophia 2.2's amalgamation (sophia.c, sophia.h) in deps/sophia/.
// The sources come from Debian's golang-github-pzhin-go-sophia-dev package,
// are checked against the sums pinned in deps/sophia/sources.json, and get
// our patches from patches/ applied. Sophia's source is never committed; the
// published package carries the patched files, so this script then only
// verifies them.
//
// Environment: SOPHIA_LEVEL_SOURCE_DIR names a directory holding sophia.c
// and sophia.h to use instead of the Debian package (they must still match
// the pinned sums).

const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')
const { execFileSync } = require('child_process')

const root = path.join(__dirname, '..')
const depsDir = path.join(root, 'deps', 'sophia')
const patchesDir = path.join(root, 'patches')
const pins = JSON.parse(fs.readFileSync(path.join(depsDir, 'sources.json'), 'utf8'))

class FetchError extends Error {}

function sha256 (file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

function isInPlace () {
  if (process.env.SOPHIA_LEVEL_SOURCE_DIR) return false
  return Object.entries(pins.files).every(([name, pin]) => {
    const file = path.join(depsDir, name)
    return fs.existsSync(file) && sha256(file) === pin.patched
  })
}

function run (command, args, options = {}) {
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
}

function extractPackage () {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-fetch-'))
  const download = () => run('apt-get', ['download', pins.package], { cwd: tmp })
  try {
    try {
      download()
    } catch (err) {
      // A fresh machine may have no package lists yet.
      if (typeof process.getuid !== 'function' || process.getuid() !== 0) throw err
      run('apt-get', ['update'])
      download()
    }
    const deb = fs.readdirSync(tmp).find((name) => name.endsWith('.deb'))
    if (deb === undefined) throw new FetchError(`apt-get download ${pins.package} produced no .deb file`)
    const extracted = path.join(tmp, 'root')
    run('dpkg-deb', ['-x', path.join(tmp, deb), extracted])
    return { dir: path.join(extracted, pins.directory), cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }) }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true })
    if (err instanceof FetchError) throw err
    const detail = err.stderr ? String(err.stderr).trim() : err.message
    throw new FetchError(`could not download Debian's ${pins.package}: ${detail}`)
  }
}

function locateSources () {
  if (process.env.SOPHIA_LEVEL_SOURCE_DIR) return { dir: process.env.SOPHIA_LEVEL_SOURCE_DIR, cleanup () {} }
  const installed = path.join('/', pins.directory)
  if (Object.keys(pins.files).every((name) => fs.existsSync(path.join(installed, name)))) {
    return { dir: installed, cleanup () {} }
  }
  return extractPackage()
}

// Applies a unified diff (or undoes it, with reverse) to the files in
// directory; every hunk must match exactly once. The pinned sums are checked
// afterwards, so a loose match can never slip through.
function applyPatch (patchFile, directory, { reverse = false } = {}) {
  const lines = fs.readFileSync(patchFile, 'utf8').split('\n')
  const removed = reverse ? '+' : '-'
  let target = null
  let i = 0
  while (i < lines.length) {
    const line = lines[i]
    if (line.startsWith('+++ ')) {
      target = path.join(directory, line.slice(4).trim().replace(/^b\//, ''))
      i++
    } else if (line.startsWith('@@ ')) {
      if (target === null) throw new FetchError(`${path.basename(patchFile)}: hunk before a file header`)
      const before = []
      const after = []
      i++
      while (i < lines.length && /^[ +-]/.test(lines[i]) && !lines[i].startsWith('--- ')) {
        const body = lines[i].slice(1)
        if (lines[i][0] === ' ' || lines[i][0] === removed) before.push(body)
        if (lines[i][0] !== removed) after.push(body)
        i++
      }
      const text = fs.readFileSync(target, 'utf8')
      const old = before.join('\n') + '\n'
      const at = text.indexOf(old)
      if (at === -1 || text.indexOf(old, at + 1) !== -1) {
        throw new FetchError(`${path.basename(patchFile)} does not apply to ${path.basename(target)}`)
      }
      fs.writeFileSync(target, text.slice(0, at) + after.join('\n') + '\n' + text.slice(at + old.length))
    } else {
      i++
    }
  }
}

function patchFiles () {
  return fs.readdirSync(patchesDir).filter((n) => n.endsWith('.patch')).sort().map((n) => path.join(patchesDir, n))
}

function main () {
  if (isInPlace()) return
  const source = locateSources()
  try {
    fs.mkdirSync(depsDir, { recursive: true })
    for (const [name, pin] of Object.entries(pins.files)) {
      const file = path.join(source.dir, name)
      if (!fs.existsSync(file)) throw new FetchError(`${pins.package} has no ${name}`)
      const sum = sha256(file)
      if (sum !== pin.upstream) {
        throw new FetchError(`${name} from ${pins.package} has SHA-256 ${sum}, expected ${pin.upstream}`)
      }
      fs.copyFileSync(file, path.join(depsDir, name))
    }
  } finally {
    source.cleanup()
  }
  for (const patch of patchFiles()) applyPatch(patch, depsDir)
  for (const [name, pin] of Object.entries(pins.files)) {
    const sum = sha256(path.join(depsDir, name))
    if (sum !== pin.patched) throw new FetchError(`patched ${name} has SHA-256 ${sum}, expected ${pin.patched}`)
  }
  console.log(`sophia-level: Sophia ${pins.version} sources verified and patched in deps/sophia/`)
}

if (require.main === module) {
  try {
    main()
  } catch (err) {
    if (!(err instanceof FetchError)) throw err
    console.error(`sophia-level: ${err.message}`)
    console.error(`sophia-level: install Debian's ${pins.package} (apt-get update && apt-get install ${pins.package}) and run npm install again`)
    process.exit(1)
  }
}

module.exports = { applyPatch, patchFiles, depsDir }
