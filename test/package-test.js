'use strict'

// The published package, as users get it: `npm pack`, then installs of the
// tarball in fresh projects (from the npm registry, like a user's), used from
// CommonJS, ESM and strict TypeScript. Then the two install-script paths: with
// the prebuild shipped, the install script must neither build nor fetch
// anything; without it, it must build the binding from the shipped, already
// patched sources.
//
// Slow-ish (a native build when the prebuild is stale, another for the
// from-source install, and npm installs): every command has a time limit.
// Skips the install tests when the npm registry cannot be reached.
//
// Environment:
//   SOPHIA_LEVEL_SKIP_PACKAGE_TEST=1  skip this file
//   SOPHIA_LEVEL_KEEP_PACKAGE_TEST=1  keep the temporary directory (printed)

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')
const { spawnSync } = require('child_process')

const root = path.join(__dirname, '..')
const fixtures = path.join(__dirname, 'fixtures', 'package-consumer')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const pins = JSON.parse(fs.readFileSync(path.join(root, 'deps', 'sophia', 'sources.json'), 'utf8'))
const tuple = `${process.platform}-${process.arch}`
const prebuildName = `${pkg.name}.node`
const prebuildFile = path.join(root, 'prebuilds', tuple, prebuildName)

const MINUTE = 60e3
const skipAll = process.env.SOPHIA_LEVEL_SKIP_PACKAGE_TEST === '1'
const keep = process.env.SOPHIA_LEVEL_KEEP_PACKAGE_TEST === '1'

// Shared by the tests below, which run in order.
const state = {
  work: null, // temporary directory for everything
  tarball: null, // the packed tarball
  packJson: null, // npm pack --json's description of it
  registry: false // whether the npm registry answered
}

// npm, when it runs this test (npm test), exports its configuration as
// npm_config_* variables, local_prefix among them: a nested npm would take
// the repository for its project. Children get the environment without them.
function childEnv () {
  const env = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) || name === 'INIT_CWD') continue
    env[name] = value
  }
  // No calls to the registry's audit and funding endpoints, no update check.
  env.npm_config_audit = 'false'
  env.npm_config_fund = 'false'
  env.npm_config_update_notifier = 'false'
  return env
}

function run (command, args, { cwd, timeout = 5 * MINUTE } = {}) {
  const started = Date.now()
  const result = spawnSync(command, args, {
    cwd,
    env: childEnv(),
    encoding: 'utf8',
    timeout,
    killSignal: 'SIGKILL',
    maxBuffer: 256 * 1024 * 1024
  })
  result.ms = Date.now() - started
  result.output = `${result.stdout || ''}${result.stderr || ''}`
  result.describe = `${[command, ...args].map((a) => a.includes(root) || a.includes(os.tmpdir()) ? path.basename(a) : a).join(' ')} (${result.ms} ms)`
  return result
}

function npm (args, options) {
  return run('npm', args, options)
}

// Asserts a command succeeded; on failure shows why.
function succeeded (t, result, message = result.describe) {
  const ok = result.status === 0
  t.ok(ok, message)
  if (!ok) {
    if (result.error) t.comment(`${result.error.code === 'ETIMEDOUT' ? 'timed out: ' : ''}${result.error.message}`)
    if (result.signal) t.comment(`killed by ${result.signal}`)
    const lines = result.output.trim().split('\n')
    // tsc's first lines of each error say it all; the rest, the tail.
    const errors = lines.filter((line) => /error TS\d+/.test(line))
    for (const line of errors.length > 0 ? errors.slice(0, 40) : lines.slice(-60)) t.comment(line.slice(0, 400))
  }
  return ok
}

function sha256 (file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

function newestMtime (files) {
  return Math.max(...files.map((file) => fs.statSync(file).mtimeMs))
}

// What the native build reads.
function nativeInputs () {
  const files = ['binding.gyp', 'deps/sophia/sophia.c', 'deps/sophia/sophia.h'].map((f) => path.join(root, f))
  for (const name of fs.readdirSync(path.join(root, 'binding'))) files.push(path.join(root, 'binding', name))
  return files.filter((file) => fs.existsSync(file))
}

function skipUnlessReady (t, { registry = true } = {}) {
  if (skipAll) {
    t.skip('SOPHIA_LEVEL_SKIP_PACKAGE_TEST=1')
  } else if (state.tarball === null) {
    t.skip('no tarball (npm pack failed above)')
  } else if (registry && !state.registry) {
    t.skip('the npm registry is unreachable: install tests skipped')
  } else {
    return false
  }
  t.end()
  return true
}

// A fresh project, as `npm init -y` makes it, with the consumers copied in.
function newProject (t, name, extra = {}) {
  const dir = path.join(state.work, name)
  fs.mkdirSync(dir)
  succeeded(t, npm(['init', '-y'], { cwd: dir, timeout: MINUTE }), `npm init -y (${name})`)
  const manifestFile = path.join(dir, 'package.json')
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'))
  Object.assign(manifest, extra)
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n')
  for (const file of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, file), path.join(dir, file))
  return dir
}

// Runs a consumer script in a project; it prints one JSON line.
function runConsumer (t, dir, script, label) {
  const result = run(process.execPath, [script], { cwd: dir, timeout: 2 * MINUTE })
  if (!succeeded(t, result, `${label}: node ${script} (${result.ms} ms)`)) return null
  const report = JSON.parse(result.stdout.trim().split('\n').pop())
  t.ok(report.checks > 0, `${label}: ${report.checks} checks passed in the consumer`)
  return report
}

function installedPackage (dir) {
  return path.join(dir, 'node_modules', pkg.name)
}

// The install script's own output: its banner shows that npm ran it.
const installBanner = `> ${pkg.name}@${pkg.version} install`
const fetchMessage = 'sources verified and patched'

function assertShippedSourcesUntouched (t, packageDir, label) {
  for (const [name, pin] of Object.entries(pins.files)) {
    t.equal(sha256(path.join(packageDir, 'deps', 'sophia', name)), pin.patched, `${label}: deps/sophia/${name} is the pinned patched file`)
  }
}

test('package: set-up', function (t) {
  if (skipAll) {
    t.skip('SOPHIA_LEVEL_SKIP_PACKAGE_TEST=1')
    return t.end()
  }
  state.work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-package-'))
  t.comment(`working in ${state.work}${keep ? ' (kept)' : ''}`)
  t.pass('temporary directory')
  t.end()
})

// The prebuild must match the binding's sources. When it is missing or older
// than them, `npm run build:prebuild` makes it, in a copy of what the build reads:
// prebuildify rebuilds build/ from scratch, and the repository's build/ is
// the one the other tests and a developer's work use.
test('package: the prebuild is current', function (t) {
  if (skipAll) {
    t.skip('SOPHIA_LEVEL_SKIP_PACKAGE_TEST=1')
    return t.end()
  }
  const inputs = nativeInputs()
  if (fs.existsSync(prebuildFile) && fs.statSync(prebuildFile).mtimeMs > newestMtime(inputs)) {
    t.pass(`prebuilds/${tuple}/${prebuildName} is newer than the binding's sources`)
  } else {
    const stage = path.join(state.work, 'prebuild-stage')
    const staged = new Date()
    fs.mkdirSync(path.join(stage, 'deps', 'sophia'), { recursive: true })
    fs.mkdirSync(path.join(stage, 'scripts'))
    for (const name of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(root, name), path.join(stage, name))
    fs.cpSync(path.join(root, 'binding'), path.join(stage, 'binding'), { recursive: true })
    fs.cpSync(path.join(root, 'patches'), path.join(stage, 'patches'), { recursive: true })
    for (const name of ['sophia.c', 'sophia.h', 'sources.json', 'LICENSE']) {
      const from = path.join(root, 'deps', 'sophia', name)
      if (fs.existsSync(from)) fs.copyFileSync(from, path.join(stage, 'deps', 'sophia', name))
    }
    fs.copyFileSync(path.join(root, 'scripts', 'fetch-sophia.js'), path.join(stage, 'scripts', 'fetch-sophia.js'))
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir')
    const result = npm(['run', 'build:prebuild'], { cwd: stage, timeout: 10 * MINUTE })
    if (succeeded(t, result, `npm run build:prebuild, in a copy (${result.ms} ms)`)) {
      fs.mkdirSync(path.dirname(prebuildFile), { recursive: true })
      fs.copyFileSync(path.join(stage, 'prebuilds', tuple, prebuildName), prebuildFile)
      // Dated when the sources were copied: an edit made during the build
      // leaves the prebuild stale for the next run.
      fs.utimesSync(prebuildFile, staged, staged)
    }
    fs.rmSync(stage, { recursive: true, force: true })
  }
  t.ok(fs.existsSync(prebuildFile), `prebuilds/${tuple}/${prebuildName} exists`)
  const load = run(process.execPath, ['-e', 'require(process.argv[1])', prebuildFile], { timeout: MINUTE })
  succeeded(t, load, 'the prebuild loads in Node.js')
  t.end()
})

test('package: npm pack', function (t) {
  if (skipAll) {
    t.skip('SOPHIA_LEVEL_SKIP_PACKAGE_TEST=1')
    return t.end()
  }
  // Runs the prepare script, so dist/ is compiled from the current sources.
  const result = npm(['pack', '--json', '--pack-destination', state.work], { cwd: root, timeout: 5 * MINUTE })
  if (!succeeded(t, result, `npm pack (${result.ms} ms)`)) return t.end()
  const [description] = JSON.parse(result.stdout)
  state.packJson = description
  state.tarball = path.join(state.work, description.filename)
  t.ok(fs.existsSync(state.tarball), `${description.filename}: ${description.entryCount} files, ${description.size} bytes packed, ${description.unpackedSize} unpacked`)
  t.end()
})

test('package: tarball contents', function (t) {
  if (skipUnlessReady(t, { registry: false })) return
  const listing = run('tar', ['tzf', state.tarball], { timeout: MINUTE })
  if (!succeeded(t, listing, 'tar tzf')) return t.end()
  const entries = listing.stdout.split('\n').filter((line) => line !== '' && !line.endsWith('/'))
  t.ok(entries.every((entry) => entry.startsWith('package/')), 'every entry is under package/')
  const files = entries.map((entry) => entry.slice('package/'.length)).sort()
  t.same(files, state.packJson.files.map((file) => file.path).sort(), 'tar tzf lists what npm pack reported')
  for (const file of state.packJson.files) t.comment(`${file.path}  ${file.size} bytes`)

  const required = [
    `prebuilds/${tuple}/${prebuildName}`,
    'dist/index.js',
    'dist/index.d.ts',
    'dist/native.js',
    'dist/sophia-level.js',
    'dist/sophia-level.d.ts',
    'dist/cli.js',
    'bin/sophia-level.js',
    'index.mjs',
    'deps/sophia/sophia.c',
    'deps/sophia/sophia.h',
    'deps/sophia/LICENSE',
    'deps/sophia/sources.json',
    'binding.gyp',
    'scripts/fetch-sophia.js',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    'package.json',
    ...fs.readdirSync(path.join(root, 'binding')).map((name) => `binding/${name}`),
    ...fs.readdirSync(path.join(root, 'patches')).filter((n) => n.endsWith('.patch')).map((name) => `patches/${name}`)
  ]
  const missing = required.filter((file) => !files.includes(file))
  t.same(missing, [], `all of ${required.length} required files are in`)

  // What may be in, and nothing else: no tests, benchmarks, sources of the
  // TypeScript, source maps, build output or stray files.
  const allowed = [
    /^dist\/[\w.-]+\.(js|d\.ts)$/,
    /^index\.mjs$/,
    /^binding\/[\w.-]+\.(cc|h)$/,
    /^binding\.gyp$/,
    /^deps\/sophia\/(sophia\.c|sophia\.h|LICENSE|sources\.json)$/,
    /^patches\/[\w.-]+\.patch$/,
    /^prebuilds\/[\w-]+\/[\w.@+-]+\.node$/,
    /^scripts\/fetch-sophia\.js$/,
    /^bin\/sophia-level\.js$/,
    /^(README\.md|LICENSE|CHANGELOG\.md|package\.json)$/
  ]
  const unexpected = files.filter((file) => !allowed.some((pattern) => pattern.test(file)))
  t.same(unexpected, [], 'no file outside the allowed set (tests, bench, maps, build/, …)')
  const sources = files.filter((file) => file.startsWith('dist/') && file.endsWith('.js')).map((file) => file.slice(5, -3))
  const declarations = new Set(files.filter((file) => file.endsWith('.d.ts')).map((file) => file.slice(5, -5)))
  t.same(sources.filter((name) => !declarations.has(name)), [], 'every dist/*.js has its .d.ts')
  // prepare compiles into dist/ without emptying it: a file left there by a
  // source since removed or renamed would ship too.
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const listed = run(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFilesOnly'], { cwd: root, timeout: 2 * MINUTE })
  if (succeeded(t, listed, 'tsc --listFilesOnly')) {
    const compiled = listed.stdout.split('\n').map((file) => file.trim())
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && path.dirname(file) === root)
      .map((file) => path.basename(file, '.ts')).sort()
    t.same(sources.slice().sort(), compiled, `dist/ holds the output of the ${compiled.length} sources that tsconfig.json compiles, and nothing stale`)
  }
  t.ok(state.packJson.size < 2 * 1024 * 1024, `packed size ${state.packJson.size} bytes < 2 MiB`)

  // The shipped Sophia sources are the patched ones that fetch-sophia.js pins.
  const extracted = path.join(state.work, 'extracted')
  fs.mkdirSync(extracted)
  if (succeeded(t, run('tar', ['xzf', state.tarball, '-C', extracted], { timeout: MINUTE }), 'tar xzf')) {
    assertShippedSourcesUntouched(t, path.join(extracted, 'package'), 'tarball')
    const shipped = JSON.parse(fs.readFileSync(path.join(extracted, 'package', 'package.json'), 'utf8'))
    t.equal(shipped.scripts.install, 'node scripts/fetch-sophia.js && node-gyp-build', 'install script: fetch-sophia.js, then node-gyp-build')
  }
  t.end()
})

test('package: the npm registry is reachable', function (t) {
  if (skipUnlessReady(t, { registry: false })) return
  const ping = npm(['ping'], { cwd: state.work, timeout: 30e3 })
  state.registry = ping.status === 0
  if (state.registry) {
    t.pass(`npm ping (${ping.ms} ms)`)
  } else {
    t.comment(`npm ping failed: ${(ping.error && ping.error.message) || ping.output.trim().split('\n').pop()}`)
    t.skip('SKIP: the npm registry is unreachable; the install tests below are skipped')
  }
  t.end()
})

// npm 11 runs a dependency's install script by default with a warning, a
// later npm will skip it until allowed: this install holds either way, as the
// prebuild makes the script a no-op.
test('package: install with default npm settings', function (t) {
  if (skipUnlessReady(t)) return
  const dir = newProject(t, 'default')
  const typescript = require(path.join(root, 'node_modules', 'typescript', 'package.json')).version
  const typesNode = require(path.join(root, 'node_modules', '@types', 'node', 'package.json')).version
  // --foreground-scripts only shows the scripts' output, to tell whether npm ran them.
  const result = npm(['install', '--foreground-scripts', state.tarball, `typescript@${typescript}`, `@types/node@${typesNode}`], { cwd: dir, timeout: 5 * MINUTE })
  if (!succeeded(t, result, `npm install <tarball> typescript@${typescript} @types/node@${typesNode} (${result.ms} ms)`)) return t.end()
  const installed = installedPackage(dir)
  t.ok(fs.existsSync(path.join(installed, 'prebuilds', tuple, prebuildName)), 'the prebuild is installed')
  t.notOk(fs.existsSync(path.join(installed, 'build')), 'nothing was built (no build/)')
  t.comment(`npm ${result.output.includes(installBanner) ? 'ran' : 'skipped'} the install script` +
    (/install-scripts/.test(result.output) ? ', and reported it as not yet allowed (allowScripts)' : ''))
  t.notOk(result.output.includes(fetchMessage), 'nothing was fetched')
  t.end()
})

test('package: CommonJS consumer', function (t) {
  if (skipUnlessReady(t)) return
  const dir = path.join(state.work, 'default')
  const report = runConsumer(t, dir, 'consumer.cjs', 'CommonJS')
  if (report !== null) {
    t.equal(report.module, path.join(installedPackage(dir), 'dist', 'index.js'), 'require() loads dist/index.js of the installed package')
    t.equal(report.binding, path.join(installedPackage(dir), 'prebuilds', tuple, prebuildName), 'node-gyp-build loads the prebuild')
  }
  t.end()
})

test('package: ESM consumer', function (t) {
  if (skipUnlessReady(t)) return
  const dir = path.join(state.work, 'default')
  const report = runConsumer(t, dir, 'consumer.mjs', 'ESM')
  if (report !== null) {
    t.equal(report.module, path.join(installedPackage(dir), 'index.mjs'), 'import loads index.mjs of the installed package')
    t.ok(report.exports.includes('SophiaLevel') && report.exports.includes('SophiaEnv'), `import and require give the same ${report.exports.length} exports`)
    t.ok(report.defaultIsCjs, 'the default import is module.exports, as the (CommonJS) declarations say')
  }
  t.end()
})

test('package: TypeScript consumer (strict, against the shipped declarations)', function (t) {
  if (skipUnlessReady(t)) return
  const dir = path.join(state.work, 'default')
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = run(process.execPath, [tsc, '-p', '.'], { cwd: dir, timeout: 3 * MINUTE })
  if (succeeded(t, result, `tsc -p . in the project (${result.ms} ms)`)) {
    runConsumer(t, dir, path.join('out', 'consumer.js'), 'TypeScript (CommonJS output)')
    runConsumer(t, dir, path.join('out', 'consumer-esm.mjs'), 'TypeScript (ESM output)')
  }
  t.end()
})

test('package: install with --ignore-scripts', function (t) {
  if (skipUnlessReady(t)) return
  const dir = newProject(t, 'ignore-scripts')
  const result = npm(['install', '--ignore-scripts', state.tarball], { cwd: dir, timeout: 5 * MINUTE })
  if (!succeeded(t, result, `npm install --ignore-scripts <tarball> (${result.ms} ms)`)) return t.end()
  t.notOk(result.output.includes(installBanner), 'the install script did not run')
  const report = runConsumer(t, dir, 'consumer.cjs', 'CommonJS')
  if (report !== null) t.equal(report.binding, path.join(installedPackage(dir), 'prebuilds', tuple, prebuildName), 'node-gyp-build loads the prebuild')
  t.end()
})

// npm 11 keeps a project's approvals in package.json "allowScripts", keyed by
// what a dependency resolved to: for a tarball, file:<absolute path>. (npm
// before 11 ignores the field and runs install scripts anyway.)
function allowScriptsFor (tarball) {
  return { allowScripts: { [`file:${tarball}`]: true } }
}

test('package: install scripts allowed, prebuild shipped: nothing is fetched or built', function (t) {
  if (skipUnlessReady(t)) return
  const dir = newProject(t, 'scripts-prebuilt', allowScriptsFor(state.tarball))
  const result = npm(['install', '--foreground-scripts', state.tarball], { cwd: dir, timeout: 5 * MINUTE })
  if (!succeeded(t, result, `npm install --foreground-scripts <tarball> (${result.ms} ms)`)) return t.end()
  const installed = installedPackage(dir)
  t.ok(result.output.includes(installBanner), 'the install script ran')
  t.notOk(result.output.includes(fetchMessage), 'fetch-sophia.js found the shipped sources and did nothing')
  t.notOk(/gyp info|node-gyp rebuild/.test(result.output), 'node-gyp did not run')
  t.notOk(fs.existsSync(path.join(installed, 'build')), 'nothing was built (no build/)')
  assertShippedSourcesUntouched(t, installed, 'installed')
  const report = runConsumer(t, dir, 'consumer.cjs', 'CommonJS')
  if (report !== null) t.equal(report.binding, path.join(installed, 'prebuilds', tuple, prebuildName), 'node-gyp-build loads the prebuild')
  t.end()
})

test('package: install scripts allowed, no prebuild: builds from the shipped sources', function (t) {
  if (skipUnlessReady(t)) return
  // The same package without prebuilds/, as for a platform we ship none for.
  const copy = path.join(state.work, 'no-prebuild')
  fs.mkdirSync(copy)
  succeeded(t, run('tar', ['xzf', state.tarball, '-C', copy], { timeout: MINUTE }), 'unpack the tarball')
  fs.rmSync(path.join(copy, 'package', 'prebuilds'), { recursive: true, force: true })
  const tarball = path.join(state.work, `${pkg.name}-${pkg.version}-no-prebuild.tgz`)
  if (!succeeded(t, run('tar', ['czf', tarball, '-C', copy, 'package'], { timeout: MINUTE }), 'repack it without prebuilds/')) return t.end()

  const dir = newProject(t, 'scripts-from-source', allowScriptsFor(tarball))
  const result = npm(['install', '--foreground-scripts', tarball], { cwd: dir, timeout: 10 * MINUTE })
  if (!succeeded(t, result, `npm install --foreground-scripts <tarball without prebuilds> (${result.ms} ms)`)) return t.end()
  const installed = installedPackage(dir)
  t.ok(result.output.includes(installBanner), 'the install script ran')
  t.notOk(result.output.includes(fetchMessage), 'fetch-sophia.js found the shipped sources and did nothing')
  t.notOk(fs.existsSync(path.join(installed, 'prebuilds')), 'no prebuild in this package')
  const built = path.join(installed, 'build', 'Release', 'sophia_level.node')
  t.ok(fs.existsSync(built), 'node-gyp built build/Release/sophia_level.node')
  assertShippedSourcesUntouched(t, installed, 'installed')
  const report = runConsumer(t, dir, 'consumer.cjs', 'CommonJS')
  if (report !== null) t.equal(report.binding, built, 'node-gyp-build loads the binding built from source')
  t.end()
})

test('package: clean up', function (t) {
  if (state.work !== null && !keep) fs.rmSync(state.work, { recursive: true, force: true })
  t.pass(keep && state.work !== null ? `kept ${state.work}` : 'temporary directory removed')
  t.end()
})
