'use strict'

// The command-line tool, run as users run it: `node bin/sophia-level.js …` in
// a child process, against temporary databases made with the library. Checks
// every command, the exit codes scripts rely on, and byte-exact dump → load
// round trips.

const test = require('tape')
const fs = require('fs')
const path = require('path')
const crypto = require('crypto')
const { spawn, spawnSync } = require('child_process')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const BIN = path.join(__dirname, '..', 'bin', 'sophia-level.js')
const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'))
const BUFFERS = { keyEncoding: 'buffer', valueEncoding: 'buffer' }

// Runs the tool; stdout as a Buffer (dumps and --raw are bytes), stderr as text.
function cli (args, { input } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    input: input === undefined ? '' : input,
    timeout: 30e3,
    env: { ...process.env, NODE_OPTIONS: '' }
  })
  if (result.error) throw result.error
  return { status: result.status, stdout: result.stdout, out: result.stdout.toString('utf8'), err: result.stderr.toString('utf8') }
}

const b = (x) => (Buffer.isBuffer(x) ? x : Buffer.from(x, 'utf8'))

// A database holding `entries` ([key, value] of strings or Buffers), closed.
async function makeDatabase (entries = []) {
  const location = tempLocation()
  const db = new SophiaLevel(location, BUFFERS)
  await db.open()
  if (entries.length > 0) await db.batch(entries.map(([key, value]) => ({ type: 'put', key: b(key), value: b(value) })))
  await db.close()
  return location
}

async function readAll (location) {
  const db = new SophiaLevel(location, BUFFERS)
  await db.open({ createIfMissing: false })
  try {
    return await db.iterator().all()
  } finally {
    await db.close()
  }
}

function lastLogFile (location) {
  const directory = path.join(location, 'log')
  const names = fs.readdirSync(directory).filter((name) => /^\d+\.log$/.test(name)).sort()
  return path.join(directory, names[names.length - 1])
}

function sameEntries (t, actual, expected, message) {
  const hex = (entries) => entries.map(([key, value]) => `${key.toString('hex')}=${value.toString('hex')}`)
  t.same(hex(actual), hex(expected), message)
}

const sorted = (entries) => entries.map(([key, value]) => [b(key), b(value)]).sort((x, y) => Buffer.compare(x[0], y[0]))

// Keys and values that a text-only format would lose: empty, binary, zero
// bytes, invalid UTF-8, a real U+FFFD, control characters, non-ASCII text.
const AWKWARD = [
  ['', 'the empty key'],
  ['empty value', ''],
  [Buffer.from([0x00]), Buffer.from([0x00, 0x00])],
  [Buffer.from([0x00, 0xff]), Buffer.from([0xff, 0xfe, 0xfd])],
  [Buffer.from([0xc3, 0x28]), 'invalid UTF-8 key'],
  ['invalid UTF-8 value', Buffer.from([0xed, 0xa0, 0x80])], // an encoded surrogate
  [Buffer.from([0xff, 0xff]), Buffer.from('ef bf bd', 'hex')], // a real U+FFFD
  ['tab\tand\nnewline', 'line 1\nline 2\r\n'],
  ['déjà vu ☃ 🎉', '日本語'],
  ['json', '{"a":[1,2,{"b":null}]}'],
  ['big', crypto.randomBytes(100 * 1024)],
  [Buffer.alloc(1024, 0x61), 'a key of the maximum size']
]

test('cli: --help, --version and usage errors (exit code 2)', async function (t) {
  const help = cli(['--help'])
  t.is(help.status, 0, '--help exits 0')
  for (const command of ['stats', 'get', 'put', 'del', 'scan', 'dump', 'load', 'backup', 'check', 'repair']) {
    t.ok(help.out.includes(`  ${command} <location>`), `--help lists ${command}`)
  }
  t.ok(/Exit codes:[\s\S]*\b5\s+the database is damaged/.test(help.out), '--help has the exit-code table')
  const scanHelp = cli(['scan', '--help'])
  t.is(scanHelp.status, 0, 'scan --help exits 0')
  t.ok(scanHelp.out.includes('--prefix') && scanHelp.out.includes('--reverse'), 'scan --help describes its options')
  t.is(cli(['help', 'load']).out, cli(['load', '--help']).out, 'help <command> is <command> --help')
  t.is(cli(['--version']).out.trim(), pkg.version, '--version')

  const location = await makeDatabase([['a', '1']])
  const usage = [
    [[], 'no command'],
    [['frobnicate', location], 'an unknown command'],
    [['scan', location, '--frob'], 'an unknown option'],
    [['scan'], 'no location'],
    [['get', location], 'get without a key'],
    [['get', location, 'a', 'b'], 'too many arguments'],
    [['get', location, 'a', '--prefix', 'x'], 'an option of another command'],
    [['get', location, 'zz', '--hex'], 'a key that is not hex'],
    [['get', location, '!', '--key-encoding', 'base64'], 'a key that is not base64'],
    [['put', location, 'k', '{', '--value-encoding', 'json'], 'a value that is not JSON'],
    [['scan', location, '--key-encoding', 'latin1'], 'an unknown encoding'],
    [['scan', location, '--hex', '--base64'], '--hex with --base64'],
    [['scan', location, '--limit', '-1'], 'a negative --limit'],
    [['scan', location, '--limit', 'ten'], 'a --limit that is not a number'],
    [['scan', location, '--gt', 'a', '--gte', 'a'], '--gt with --gte'],
    [['put', location, 'k'], 'put without a value'],
    [['put', location, 'k', 'v', '--value-file', __filename], 'put with a value and --value-file'],
    [['put', location, 'k', '--value-file', path.join(location, 'no-such-file')], 'an unreadable --value-file'],
    [['load', location, '--input', path.join(location, 'no-such-file')], 'an unreadable --input'],
    [['load', location, '--batch-size', '0'], 'a --batch-size of 0'],
    [['dump', location, '--value-encoding', 'json'], 'dump --value-encoding json (not byte-exact)'],
    [['dump', location, '--output', path.join(location, 'no', 'such', 'dir', 'x.ndjson')], 'an --output in a missing directory'],
    [['load', location, '--progress', 'sometimes'], 'an unknown --progress mode'],
    [['stats', location, '--database', 'a.b'], 'an invalid --database name']
  ]
  for (const [args, what] of usage) {
    const result = cli(args)
    t.is(result.status, 2, `exit code 2 for ${what}`)
    t.ok(result.err.startsWith('sophia-level: ') || result.err.startsWith('Usage:'), `a message on stderr for ${what}`)
  }
  t.is(cli(['get', location, 'a']).out, '1\n', 'the database is untouched by all that')
})

test('cli: a missing database is exit code 3 and is never created', async function (t) {
  const missing = tempLocation()
  for (const args of [['stats', missing], ['get', missing, 'k'], ['put', missing, 'k', 'v'], ['scan', missing],
    ['dump', missing], ['load', missing], ['check', missing], ['backup', missing, tempLocation()], ['repair', missing]]) {
    const result = cli(args)
    t.is(result.status, 3, `${args[0]}: exit code 3`)
    t.ok(/no database at/.test(result.err), `${args[0]}: says there is no database`)
  }
  t.notOk(fs.existsSync(missing), 'nothing was created')
  t.ok(cli(['load', missing]).err.includes('create it first'), 'load says how to create a database to load into')

  const empty = tempLocation()
  fs.mkdirSync(empty)
  t.is(cli(['put', empty, 'k', 'v']).status, 3, 'an empty directory: exit code 3')
  t.same(fs.readdirSync(empty), [], 'and it stays empty')

  const file = path.join(empty, 'file')
  fs.writeFileSync(file, 'x')
  t.is(cli(['stats', file]).status, 3, 'a file: exit code 3')

  const location = await makeDatabase([['a', '1']])
  const other = cli(['stats', location, '--database', 'other'])
  t.is(other.status, 3, '--database naming a database the environment lacks: exit code 3')
  t.ok(other.err.includes("'main'"), 'and the message lists the databases there are')
  t.same(fs.readFileSync(path.join(location, 'databases'), 'utf8'), 'main\n', 'no database was declared')
})

test('cli: a locked database is exit code 4', async function (t) {
  const location = await makeDatabase([['a', '1']])
  const db = new SophiaLevel(location)
  await db.open()
  try {
    for (const args of [['stats', location], ['get', location, 'a'], ['put', location, 'b', '2'], ['load', location],
      ['check', location], ['repair', location]]) {
      const result = cli(args)
      t.is(result.status, 4, `${args[0]} while the database is open here: exit code 4`)
      t.ok(result.err.includes('is locked'), `${args[0]}: says it is locked`)
    }
  } finally {
    await db.close()
  }
  t.is(cli(['get', location, 'a']).status, 0, 'once closed, it opens')
  t.is(cli(['get', location, 'b']).status, 1, 'the put while locked wrote nothing')
})

test('cli: a damaged log is exit code 5; repair salvages it', async function (t) {
  const location = await makeDatabase([['a', '1'], ['b', '2']])
  const log = lastLogFile(location)
  const size = fs.statSync(log).size
  fs.appendFileSync(log, Buffer.alloc(40, 0xab))

  for (const args of [['stats', location], ['scan', location], ['check', location]]) {
    const result = cli(args)
    t.is(result.status, 5, `${args[0]}: exit code 5`)
    t.ok(result.err.includes('is damaged') && result.err.includes(`sophia-level repair ${location}`),
      `${args[0]}: says it is damaged and suggests sophia-level repair`)
  }

  const repaired = cli(['repair', location])
  t.is(repaired.status, 0, 'repair exits 0')
  t.ok(repaired.out.includes(`kept ${size.toLocaleString('en-US')} bytes, dropped 40 bytes`), 'repair says what it dropped')
  const saved = /saved in (\S+)\)/.exec(repaired.out)
  t.ok(saved !== null && fs.existsSync(saved[1]), 'and where it kept it')
  t.ok(saved !== null && fs.readFileSync(saved[1]).equals(Buffer.alloc(40, 0xab)), 'the saved file holds the dropped bytes')
  t.is(fs.statSync(log).size, size, 'the log is back to its valid part')

  const check = cli(['check', location])
  t.is(check.status, 0, 'check passes after the repair')
  t.is(cli(['get', location, 'b']).out, '2\n', 'the data before the damage is there')

  // A torn tail (a write cut short) is no damage: opening cuts it off, and check says so.
  fs.appendFileSync(log, Buffer.from([1, 2, 3, 4, 5]))
  const torn = cli(['check', location])
  t.is(torn.status, 0, 'check of a log with a torn tail exits 0')
  t.ok(/^note: Dropped 5 bytes of an interrupted write/m.test(torn.out), 'and notes the bytes dropped')

  const again = cli(['repair', location, '--json'])
  t.is(again.status, 0, 'repair of a sound log exits 0')
  t.same(JSON.parse(again.out), { files: [], droppedBytes: 0, savedTo: [] }, 'repair --json: nothing to drop')
  t.ok(cli(['repair', location]).out.includes('no damage'), 'repair says when there is nothing to do')
})

test('cli: put, get and del', async function (t) {
  const location = await makeDatabase()
  t.is(cli(['put', location, 'greeting', 'hello world']).status, 0, 'put exits 0')
  t.is(cli(['get', location, 'greeting']).out, 'hello world\n', 'get prints the value and a newline')
  const missing = cli(['get', location, 'nope'])
  t.is(missing.status, 1, 'get of a missing key: exit code 1')
  t.is(missing.out, '', 'and prints nothing on stdout')
  t.ok(missing.err.includes('not found'), 'but says so on stderr')

  const bytes = crypto.randomBytes(300)
  const file = path.join(location, 'value.bin')
  fs.writeFileSync(file, bytes)
  t.is(cli(['put', location, 'blob', '--value-file', file]).status, 0, 'put --value-file')
  t.ok(cli(['get', location, 'blob', '--raw']).stdout.equals(bytes), 'get --raw gives the exact bytes')
  t.is(cli(['put', location, 'piped', '--value-file', '-'], { input: bytes }).status, 0, 'put --value-file - reads stdin')
  t.ok(cli(['get', location, 'piped', '--raw']).stdout.equals(bytes), 'the bytes from stdin')

  t.is(cli(['put', location, '00ff', 'c328', '--hex']).status, 0, 'put --hex')
  t.is(cli(['get', location, '00ff', '--hex']).out, 'c328\n', 'get --hex')
  t.is(cli(['get', location, 'AP8=', '--key-encoding', 'base64']).out, '<hex c328>\n', 'a value that is not UTF-8 shows in hex')
  t.is(cli(['get', location, 'AP8=', '--base64']).out, 'wyg=\n', 'get --base64')
  const record = JSON.parse(cli(['get', location, 'AP8=', '--key-encoding', 'base64', '--json']).out)
  t.same(record, { key: 'AP8=', keyEncoding: 'base64', value: 'wyg=', valueEncoding: 'base64' }, 'get --json')

  t.is(cli(['put', location, 'doc', '{ "a" : [1, 2] }', '--value-encoding', 'json']).status, 0, 'put --value-encoding json')
  t.is(cli(['get', location, 'doc']).out, '{"a":[1,2]}\n', 'stores the JSON text')
  t.is(cli(['put', location, '', 'empty key']).status, 0, 'put of the empty key')
  t.is(cli(['get', location, '']).out, 'empty key\n', 'get of the empty key')
  t.is(cli(['put', location, '--', '-dash', 'v']).status, 0, "a key starting with '-' after --")
  t.is(cli(['get', location, '--', '-dash']).out, 'v\n', 'read back')

  const tooLong = cli(['put', location, 'x'.repeat(1025), 'v'])
  t.is(tooLong.status, 6, 'a key over the limit: exit code 6')
  t.ok(tooLong.err.includes('SOPHIA_KEY_TOO_LARGE'), 'with the code')

  t.is(cli(['del', location, 'greeting']).status, 0, 'del exits 0')
  t.is(cli(['get', location, 'greeting']).status, 1, 'the key is gone')
  t.is(cli(['del', location, 'greeting']).status, 0, 'del of a missing key exits 0')
})

test('cli: scan, ranges and output forms', async function (t) {
  const entries = [['a', '1'], ['b', '2'], ['ba', '3'], ['bb', ''], ['c', 'x\ny'], [Buffer.from([0x62, 0xff]), Buffer.from([0xff])],
    [Buffer.from([0x62, 0xff, 0x00]), 'z'], [Buffer.from([0x63, 0x00]), 'after c']]
  const location = await makeDatabase(entries)
  const lines = (result) => result.out.split('\n').slice(0, -1)
  const keys = (args) => lines(cli(['scan', location, '--keys-only', '--hex', ...args])).map((hex) => Buffer.from(hex, 'hex').toString('latin1'))

  t.same(lines(cli(['scan', location])), ['a\t1', 'b\t2', 'ba\t3', 'bb\t<empty>', '<hex 62ff>\t<hex ff>', '<hex 62ff00>\tz',
    'c\t<hex 780a79>', '<hex 6300>\tafter c'], 'printable text as is, anything else in hex, empty as <empty>')
  t.same(lines(cli(['scan', location, '--gte', 'b', '--lt', 'c', '--keys-only'])),
    ['b', 'ba', 'bb', '<hex 62ff>', '<hex 62ff00>'], '--gte --lt --keys-only')
  t.same(keys(['--gt', '62', '--lte', '63']), ['ba', 'bb', 'bÿ', 'bÿ\u0000', 'c'], '--gt --lte')
  t.same(keys(['--reverse', '--limit', '3']), ['c\u0000', 'c', 'bÿ\u0000'], '--reverse --limit')
  t.same(keys(['--limit', '0']), [], '--limit 0')
  t.same(keys(['--prefix', '62']), ['b', 'ba', 'bb', 'bÿ', 'bÿ\u0000'], '--prefix')
  t.same(keys(['--prefix', '62ff']), ['bÿ', 'bÿ\u0000'], '--prefix ending in 0xff')
  t.same(keys(['--prefix', '62', '--gt', '6261', '--lt', '62ff']), ['bb'], '--prefix with bounds inside it')
  t.same(keys(['--prefix', 'ff']), [], 'a --prefix nothing starts with')
  t.same(keys(['--prefix', '']), keys([]), 'the empty --prefix is everything')
  t.same(lines(cli(['scan', location, '--values-only', '--limit', '2'])), ['1', '2'], '--values-only')

  const json = lines(cli(['scan', location, '--json'])).map((line) => JSON.parse(line))
  t.is(json.length, entries.length, '--json: one object per line, each parses')
  t.same(json[0], { key: 'a', value: '1' }, 'UTF-8 as strings')
  t.same(json[4], { key: 'Yv8=', keyEncoding: 'base64', value: '/w==', valueEncoding: 'base64' }, 'binary in base64, named')
  t.same(json[6], { key: 'c', value: 'x\ny' }, 'exact text')
  const hexJson = JSON.parse(lines(cli(['scan', location, '--json', '--hex', '--limit', '1']))[0])
  t.same(hexJson, { key: '61', keyEncoding: 'hex', value: '31', valueEncoding: 'hex' }, '--json --hex')
  t.same(JSON.parse(lines(cli(['scan', location, '--json', '--keys-only', '--limit', '1']))[0]), { key: 'a' }, '--json --keys-only')
})

test('cli: stats', async function (t) {
  const location = await makeDatabase([['a', '1'], ['b', '2'], ['c', '3']])
  const text = cli(['stats', location])
  t.is(text.status, 0, 'stats exits 0')
  t.ok(/^records\s+3 /m.test(text.out), 'shows the records')
  t.ok(/^write-ahead log\s+1 file/m.test(text.out), 'shows the log')
  const json = cli(['stats', location, '--json'])
  const stats = JSON.parse(json.out)
  t.is(stats.records, 3, '--json parses, with the records')
  t.is(stats.status, 'online', 'and the status')
  t.is(cli(['stats', location, '--property', 'sophia.version']).out, '2.2\n', '--property')
  t.same(JSON.parse(cli(['stats', location, '--property', 'db.main.index.count', '--json']).out), { 'db.main.index.count': '3' },
    '--property --json')
  t.is(cli(['stats', location, '--property', 'no.such.key']).status, 1, 'an unknown property: exit code 1')
})

test('cli: dump then load reproduces every byte', async function (t) {
  const many = Array.from({ length: 2345 }, (_, i) => [`k${String(i).padStart(5, '0')}`, crypto.randomBytes(i % 50)])
  const expected = sorted([...AWKWARD, ...many])
  const source = await makeDatabase([...AWKWARD, ...many])

  // To stdout, then from stdin.
  const dump = cli(['dump', source, '--quiet'])
  t.is(dump.status, 0, 'dump exits 0')
  t.is(dump.err, '', '--quiet: nothing on stderr')
  const lines = dump.out.split('\n')
  t.is(lines.pop(), '', 'NDJSON ends with a newline')
  t.is(lines.length, expected.length, 'one line per entry')
  t.ok(lines.every((line) => typeof JSON.parse(line).key === 'string'), 'every line is a JSON record')
  const viaStdin = await makeDatabase()
  const load = cli(['load', viaStdin, '--quiet'], { input: dump.stdout })
  t.is(load.status, 0, 'load from stdin exits 0')
  sameEntries(t, await readAll(viaStdin), expected, 'stdout → stdin: every key and value, byte for byte')

  // To a file, then from it; and with --hex.
  const file = path.join(viaStdin, 'dump.ndjson')
  const toFile = cli(['dump', source, '--output', file])
  t.is(toFile.status, 0, 'dump --output exits 0')
  t.is(toFile.out, '', 'nothing on stdout')
  t.ok(toFile.err.includes(`dumped ${expected.length.toLocaleString('en-US')} records`), 'a summary on stderr')
  t.ok(fs.readFileSync(file).equals(dump.stdout), 'the same NDJSON as on stdout')
  t.same(fs.readdirSync(viaStdin).filter((name) => name.includes('.tmp-')), [], 'no temporary file left')
  const viaFile = await makeDatabase()
  t.is(cli(['load', viaFile, '--input', file, '--batch-size', '100', '--quiet']).status, 0, 'load --input exits 0')
  sameEntries(t, await readAll(viaFile), expected, '--output → --input: byte for byte')

  const hexDump = cli(['dump', source, '--hex', '--quiet'])
  t.ok(hexDump.out.split('\n')[0].includes('"keyEncoding":"hex"'), 'dump --hex names its encoding')
  const viaHex = await makeDatabase()
  t.is(cli(['load', viaHex, '--quiet'], { input: hexDump.stdout }).status, 0, 'load of a hex dump')
  sameEntries(t, await readAll(viaHex), expected, 'a hex dump: byte for byte')

  // A range.
  const ranged = cli(['dump', source, '--prefix', 'k0000', '--quiet']).out.split('\n').slice(0, -1).map((line) => JSON.parse(line).key)
  t.same(ranged, Array.from({ length: 10 }, (_, i) => `k0000${i}`), 'dump --prefix')

  // Loading over existing data overwrites those keys and keeps the others.
  const target = await makeDatabase([['k00000', 'old'], ['zzz', 'kept']])
  t.is(cli(['load', target, '--quiet'], { input: dump.stdout }).status, 0, 'load into a database with data')
  const after = await readAll(target)
  t.ok(after.find(([key]) => key.toString() === 'k00000')[1].equals(expected.find(([key]) => key.toString() === 'k00000')[1]),
    'an existing key is overwritten')
  t.is(after.find(([key]) => key.toString() === 'zzz')[1].toString(), 'kept', 'other keys stay')
})

test('cli: load accepts hand-written records', async function (t) {
  const location = await makeDatabase()
  const input = [
    '{"key":"s","value":"text"}',
    '',
    '   ',
    '{"key":"o","value":{"nested":[1,true,null]}}',
    '{"key":"n","value":42}',
    '{"key":"j","value":"[1, 2]","valueEncoding":"json"}',
    '{"key":"6869","keyEncoding":"hex","value":"AAE=","valueEncoding":"base64"}',
    '{"key":"crlf","value":"windows"}\r'
  ].join('\n')
  const result = cli(['load', location, '--json', '--quiet'], { input })
  t.is(result.status, 0, 'exits 0')
  const summary = JSON.parse(result.out)
  t.is(summary.records, 6, '--json summary: records')
  t.is(summary.lines, 8, 'lines, blank ones included')
  t.ok(summary.complete, 'complete')
  sameEntries(t, await readAll(location), sorted([['crlf', 'windows'], ['hi', Buffer.from([0, 1])], ['j', '"[1, 2]"'], ['n', '42'],
    ['o', '{"nested":[1,true,null]}'], ['s', 'text']]), 'the records as described')

  const defaults = await makeDatabase()
  t.is(cli(['load', defaults, '--hex', '--quiet'], { input: '{"key":"00","value":"ff"}\n' }).status, 0, 'load --hex')
  sameEntries(t, await readAll(defaults), [[Buffer.from([0]), Buffer.from([0xff])]], 'sets the default encoding of strings')
})

test('cli: load stops at a malformed line, keeping the batches before it', async function (t) {
  const records = Array.from({ length: 30 }, (_, i) => JSON.stringify({ key: `k${String(i).padStart(2, '0')}`, value: `v${i}` }))
  const keysIn = async (location) => (await readAll(location)).map(([key]) => key.toString())
  const first = (n) => records.slice(0, n).map((line) => JSON.parse(line).key)

  // Line 16 is in the second batch (records 11 to 20): only the first stays.
  const location = await makeDatabase()
  const input = [...records.slice(0, 15), '{"key":"broken",', ...records.slice(15)].join('\n')
  const result = cli(['load', location, '--batch-size', '10'], { input })
  t.is(result.status, 6, 'exit code 6')
  t.ok(result.err.includes('line 16: not valid JSON'), 'names the line and the problem')
  t.ok(result.err.includes('the batch in progress (5 records from line 11) was not written'), 'says the batch was not written')
  t.ok(result.err.includes('10 records in 1 batch (') && result.err.includes('written before it stay in the database'),
    'says which batches stay')
  t.same(await keysIn(location), first(10), 'the first batch is there, nothing of the second')

  // A bad line right after a full batch: that batch is complete, and stays.
  const second = await makeDatabase()
  const json = cli(['load', second, '--batch-size', '10', '--json'], {
    input: [...records.slice(0, 20), '{"key":"x","value":"not hex","valueEncoding":"hex"}', ...records.slice(20)].join('\n')
  })
  t.is(json.status, 6, 'exit code 6')
  const summary = JSON.parse(json.out)
  t.same([summary.records, summary.batches, summary.complete, summary.error.line, summary.discarded],
    [20, 2, false, 21, null], '--json summary of the failure')
  t.same(await keysIn(second), first(20), 'both complete batches are there')

  for (const [line, problem] of [['[1,2]', 'not a JSON object'], ['{"key":"k"}', 'no "value"'], ['{"value":"v"}', 'no "key"'],
    ['{"key":"k","value":"v","extra":1}', 'unknown field "extra"'], ['{"key":"k","value":"v","keyEncoding":"rot13"}', '"keyEncoding" must be'],
    ['{"key":"k","value":1,"valueEncoding":"base64"}', '"value" must be a string'], [JSON.stringify({ key: 'x'.repeat(1025), value: '' }), 'the key has 1025 bytes, over the limit of 1024']]) {
    const location = await makeDatabase()
    const bad = cli(['load', location, '--quiet'], { input: `${records[0]}\n${line}\n` })
    t.is(bad.status, 6, `${problem}: exit code 6`)
    t.ok(bad.err.includes(`line 2: ${problem}`), `${problem}: reported with its line`)
    t.same(await keysIn(location), [], `${problem}: nothing written`)
  }
})

test('cli: progress and summaries', async function (t) {
  const location = await makeDatabase()
  const input = Array.from({ length: 350 }, (_, i) => JSON.stringify({ key: `k${i}`, value: 'v' })).join('\n') + '\n'
  const file = path.join(path.dirname(location), `${path.basename(location)}.ndjson`)
  fs.writeFileSync(file, input)

  const load = cli(['load', location, '--input', file, '--progress-every', '100', '--batch-size', '100'])
  t.is(load.status, 0, 'load exits 0')
  const lines = load.err.split('\n').slice(0, -1)
  t.same(lines.slice(0, 3).map((line) => line.replace(/, [\d,]+ records\/s$/, '')),
    ['load: 100 records, 390 B', 'load: 200 records, 890 B', 'load: 300 records, 1.4 KiB'],
    'not on a terminal: a plain line every --progress-every records')
  t.ok(/^loaded 350 records in 4 batches \(1\.6 KiB of keys and values\) from [\d.]+ KiB of NDJSON in [\d.]+ s, [\d,-]+ records\/s$/.test(lines[3]),
    `then the summary: ${lines[3]}`)
  t.is(lines.length, 4, 'nothing else')
  t.notOk(load.err.includes('\r'), 'no bar')

  const bar = cli(['load', location, '--input', file, '--progress', 'bar', '--batch-size', '100'])
  t.ok(bar.err.includes('\r') && /\[[#.]+\]\s+\d+%/.test(bar.err), '--progress bar: a bar with a percentage, redrawn with \\r')
  t.ok(/\r\x1b\[Kloaded 350 records in 4 batches [^\r]*\n$/.test(bar.err), 'cleared before the summary')

  const quiet = cli(['load', location, '--input', file, '--quiet'])
  t.is(quiet.err, '', '--quiet: nothing on stderr')

  const dump = cli(['dump', location, '--output', path.join(path.dirname(location), 'out.ndjson'), '--progress', 'lines', '--progress-every', '1'])
  t.ok(dump.err.split('\n').filter((line) => /^dump: [\d,]+ records, /.test(line)).length >= 1, 'dump reports progress lines')
  t.ok(/^dumped 350 records/m.test(dump.err), 'and a summary')

  const check = cli(['check', location, '--json'])
  t.is(check.status, 0, 'check exits 0')
  const report = JSON.parse(check.out)
  t.same([report.entries, report.keyBytes, report.valueBytes, report.ok, report.problemCount, report.problems],
    [350, input.split('\n').slice(0, -1).reduce((sum, line) => sum + JSON.parse(line).key.length, 0), 350, true, 0, []],
    'check --json: counts, bytes, no problems')
  const text = cli(['check', location])
  t.ok(/^entries\s+350$/m.test(text.out) && /^OK: read every entry/m.test(text.out), 'check: the report in words')
})

test('cli: backup makes a copy that opens as a database', async function (t) {
  const entries = [...AWKWARD, ['last', 'one']]
  const location = await makeDatabase(entries)
  const backups = tempLocation()
  const result = cli(['backup', location, backups])
  t.is(result.status, 0, 'backup exits 0')
  const directory = result.out.trim()
  t.is(path.dirname(directory), backups, `prints the new directory: ${directory}`)
  sameEntries(t, await readAll(directory), sorted(entries), 'the copy opens and holds every entry')
  t.is(cli(['check', directory, '--quiet']).status, 0, 'and passes check')
  const second = JSON.parse(cli(['backup', location, backups, '--json']).out)
  t.not(second.directory, directory, 'backup --json: another directory the second time')
  t.ok(fs.existsSync(second.directory), 'which exists')
})

test('cli: Ctrl-C stops load between records; a closed pipe stops dump', async function (t) {
  const location = await makeDatabase()
  const child = spawn(process.execPath, [BIN, 'load', location, '--batch-size', '1000', '--progress-every', '1500'])
  let err = ''
  child.stderr.on('data', (chunk) => {
    err += chunk
    // Every record read, and the input still open: interrupt.
    if (err.includes('load: 1,500 records')) child.kill('SIGINT')
  })
  child.stdin.write(Array.from({ length: 1500 }, (_, i) => JSON.stringify({ key: `k${i}`, value: 'v' })).join('\n') + '\n')
  const status = await new Promise((resolve) => child.on('close', resolve))
  child.stdin.destroy()
  t.is(status, 130, 'exit code 130')
  t.ok(err.includes('load interrupted at line 1500; the batch in progress (500 records from line 1001) was not written; ' +
    '1,000 records in 1 batch'), 'the summary says what stays')
  t.is((await readAll(location)).length, 1000, 'the complete batch is there')

  const big = await makeDatabase(Array.from({ length: 3000 }, (_, i) => [`key ${i}`, 'v'.repeat(100)]))
  const dump = spawn(process.execPath, [BIN, 'dump', big, '--quiet'])
  dump.stdout.once('data', () => dump.stdout.destroy())
  let dumpErr = ''
  dump.stderr.on('data', (chunk) => { dumpErr += chunk })
  t.is(await new Promise((resolve) => dump.on('close', resolve)), 141, 'dump to a pipe closed early: exit code 141')
  t.is(dumpErr, '', 'quietly')
})

test('cli: checkpoint and compact shrink the log and drop what reads cannot see', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location)
  await db.open()
  for (let round = 0; round < 3; round++) {
    await db.batch(Array.from({ length: 5000 }, (_, i) => ({ type: 'put', key: `k${i}`, value: 'v'.repeat(100) })))
  }
  await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'del', key: `k${i}` })))
  await db.close()
  const checkpoint = cli(['checkpoint', location, '--json'])
  t.is(checkpoint.status, 0, `checkpoint: ${checkpoint.err}`)
  const { before, after } = JSON.parse(checkpoint.out)
  t.ok(before.logBytes > 1e6 && after.logBytes < 1024, `log ${before.logBytes} -> ${after.logBytes} bytes`)
  t.ok(before.memoryUsed > 0 && after.memoryUsed === 0, `memory ${before.memoryUsed} -> ${after.memoryUsed} bytes`)
  const compact = cli(['compact', location])
  t.is(compact.status, 0, compact.err)
  t.ok(/^records +[\d,]+ -> 4,000$/m.test(compact.out), compact.out.split('\n')[0])
  t.is((await readAll(location)).length, 4000, 'the live keys are intact')
})

test('cli: databases with a keySchema or expire open with their own fields', async function (t) {
  const location = tempLocation()
  const db = new SophiaLevel(location, { keySchema: [{ name: 'user', type: 'string' }, { name: 'n', type: 'u16' }], expire: 3600 })
  await db.open()
  await db.put(['a', 1], 'one')
  await db.close()
  const stats = cli(['stats', location, '--json'])
  t.is(stats.status, 0, `stats: ${stats.err}`)
  t.is(JSON.parse(stats.out).records, 1, 'stats')
  // Keys cross in their byte-string form: 'a', its terminator, then 1 as a u16.
  const scan = cli(['scan', location, '--key-encoding', 'hex'])
  t.is(scan.out, '6100000001\tone\n', 'scan shows the encoded key')
  t.is(cli(['get', location, '6100000001', '--key-encoding', 'hex']).out, 'one\n', 'get by the encoded key')
  const bad = cli(['put', location, '61', 'x', '--key-encoding', 'hex'])
  t.is(bad.status, 8, 'a put of bytes that are no key fails')
  t.ok(/LEVEL_INVALID_KEY|keySchema/.test(bad.err), bad.err.trim())
  const longKey = new SophiaLevel(location, { keySchema: [{ name: 'user', type: 'string' }, { name: 'n', type: 'u16' }], expire: 3600 })
  await longKey.open()
  await longKey.put(['u'.repeat(1024), 2], 'long')
  await longKey.close()
  const check = cli(['check', location])
  t.is(check.status, 0, `check: an encoded key of over 1024 bytes is no problem (${check.out.split('\n')[0]})`)
  const copy = tempLocation()
  const target = new SophiaLevel(copy, { keySchema: [{ name: 'user', type: 'string' }, { name: 'n', type: 'u16' }], expire: 3600 })
  await target.open()
  await target.close()
  const dump = cli(['dump', location, '-q'])
  const load = cli(['load', copy, '-q'], { input: dump.stdout })
  t.is(load.status, 0, `dump then load into a database of the same schema: ${load.err}`)
  const copied = new SophiaLevel(copy, { keySchema: [{ name: 'user', type: 'string' }, { name: 'n', type: 'u16' }], expire: 3600 })
  await copied.open()
  t.same(await copied.iterator().all(), [[['a', 1], 'one'], [['u'.repeat(1024), 2], 'long']], 'the copy has both rows')
  await copied.close()
  await longKey.open()
  await longKey.del(['u'.repeat(1024), 2])
  await longKey.close()
  const reopened = new SophiaLevel(location, { keySchema: [{ name: 'user', type: 'string' }, { name: 'n', type: 'u16' }], expire: 3600 })
  await reopened.open()
  t.same(await reopened.iterator().all(), [[['a', 1], 'one']], 'the database is unchanged')
  await reopened.close()
})
