'use strict'

// Type tests: test/types/ holds strict TypeScript that uses the public API
// as a consumer would, importing 'sophia-level' by name (resolved through
// package.json "exports" to the emitted declarations in dist/). It must
// compile with `tsc --noEmit`; its `// @ts-expect-error` lines are wrong
// uses that must not compile (tsc reports a directive with no error under it).

const test = require('tape')
const fs = require('fs')
const path = require('path')
const { spawnSync } = require('child_process')

const root = path.join(__dirname, '..')
const typesDir = path.join(__dirname, 'types')
const tscBin = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')

function tsc (args) {
  return spawnSync(process.execPath, [tscBin, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180e3,
    maxBuffer: 64 * 1024 * 1024
  })
}

function showFailure (t, result) {
  if (result.status === 0) return
  if (result.error) t.comment(String(result.error))
  const output = `${result.stdout || ''}${result.stderr || ''}`.trim().split('\n')
  // The first line of each error; tsc's elaborations follow it, indented.
  const errors = output.filter((line) => /error TS\d+/.test(line))
  const shown = errors.length > 0 ? errors : output
  for (const line of shown.slice(0, 60)) t.comment(line.slice(0, 400))
  if (shown.length > 60) t.comment(`… ${shown.length - 60} more`)
}

// The newest modification time of the TypeScript sources at the root.
function newestSource () {
  return Math.max(...fs.readdirSync(root)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => fs.statSync(path.join(root, name)).mtimeMs))
}

test('types: dist/ declarations are current', function (t) {
  const declarations = path.join(root, 'dist', 'index.d.ts')
  if (fs.existsSync(declarations) && fs.statSync(declarations).mtimeMs >= newestSource()) {
    t.pass('dist/index.d.ts is newer than every source')
    return t.end()
  }
  const result = tsc(['-p', 'tsconfig.json'])
  showFailure(t, result)
  t.equal(result.status, 0, 'tsc -p tsconfig.json')
  t.end()
})

test('types: test/types compiles in strict mode (tsc --noEmit)', function (t) {
  const started = Date.now()
  const result = tsc(['--noEmit', '-p', path.relative(root, typesDir)])
  showFailure(t, result)
  t.equal(result.status, 0, `tsc --noEmit -p test/types (${Date.now() - started} ms)`)
  t.end()
})

// Each `@ts-expect-error` must be there for the error it names: without the
// directives, every line under one must fail to compile. Compiled in memory,
// with the directives turned into plain comments.
test('types: every @ts-expect-error line is an error without its directive', function (t) {
  const ts = require(path.join(root, 'node_modules', 'typescript'))
  const configFile = path.join(typesDir, 'tsconfig.json')
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile)
  t.error(error && ts.flattenDiagnosticMessageText(error.messageText, '\n'), 'test/types/tsconfig.json reads')
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, typesDir)
  const expected = new Map() // file -> 0-based lines that must have an error
  const host = ts.createCompilerHost(parsed.options)
  const getSourceFile = host.getSourceFile
  host.getSourceFile = function (fileName, languageVersion, ...rest) {
    const resolved = path.resolve(fileName)
    if (!parsed.fileNames.some((name) => path.resolve(name) === resolved)) {
      return getSourceFile.call(this, fileName, languageVersion, ...rest)
    }
    const lines = fs.readFileSync(resolved, 'utf8').split('\n')
    const expectedLines = []
    for (let i = 0; i < lines.length; i++) {
      if (/^\s*\/\/ @ts-expect-error\b/.test(lines[i])) {
        lines[i] = lines[i].replace('@ts-expect-error', 'expected error:')
        expectedLines.push(i + 1)
      }
    }
    expected.set(resolved, expectedLines)
    return ts.createSourceFile(fileName, lines.join('\n'), languageVersion)
  }
  const program = ts.createProgram(parsed.fileNames, parsed.options, host)
  const errors = new Map() // file -> Set of 0-based lines with an error
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    if (diagnostic.file === undefined) continue
    const file = path.resolve(diagnostic.file.fileName)
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    if (!errors.has(file)) errors.set(file, new Set())
    errors.get(file).add(line)
  }
  let total = 0
  for (const [file, lines] of expected) {
    const found = errors.get(file) || new Set()
    const text = fs.readFileSync(file, 'utf8').split('\n')
    for (const line of lines) {
      total++
      t.ok(found.has(line), `${path.basename(file)}:${line + 1} ${text[line].trim()}`)
    }
    // Nothing else in the file may fail: only the lines under a directive.
    const unexpected = [...found].filter((line) => !lines.includes(line)).map((line) => line + 1)
    t.same(unexpected, [], `${path.basename(file)}: no errors outside the @ts-expect-error lines`)
  }
  t.ok(total >= 10, `${total} wrong uses checked`)
  t.end()
})
