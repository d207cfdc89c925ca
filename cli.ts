// The command-line tool `sophia-level` (bin/sophia-level.js runs main()).
//
//   sophia-level <command> <location> [arguments] [options]
//
// Every command opens an existing database with createIfMissing: false: the
// tool never creates one. Failures map to exit codes that scripts can rely
// on (EXIT below, and the table in the help text).

import fs = require('fs')
import path = require('path')
import readline = require('readline')
import { parseArgs } from 'util'
import { SophiaLevel } from './sophia-level'
import { SophiaEnv } from './sophia-env'
import { kStoredFields } from './internal'
import type { SophiaStats } from './stats'
import type { SalvageResult } from './write-ahead-log'

/** Exit codes. */
export const EXIT = {
  OK: 0,
  NOT_FOUND: 1,
  USAGE: 2,
  MISSING: 3,
  LOCKED: 4,
  CORRUPTED: 5,
  BAD_DATA: 6,
  CHECK_FAILED: 7,
  ERROR: 8,
  INTERRUPTED: 130,
  PIPE_CLOSED: 141
} as const

// Sophia's limit on keys (see README, Limits), checked by `load` per line
// and by `check`.
const MAX_KEY_BYTES = 1024
const CHUNK = 1000
const DEFAULT_BATCH_SIZE = 1000
const DEFAULT_PROGRESS_EVERY = 10000
const OUTPUT_BUFFER = 64 * 1024
const BAR_INTERVAL_MS = 100
const MAX_PROBLEMS_SHOWN = 20
const MAX_PROBLEMS_KEPT = 1000

type Encoding = 'utf8' | 'hex' | 'base64' | 'json'
const ENCODINGS: readonly Encoding[] = ['utf8', 'hex', 'base64', 'json']
type ProgressMode = 'bar' | 'lines' | 'none'
type Db = SophiaLevel<Buffer, Buffer>

/** A failure with its exit code; main() prints the message (if any) and returns the code. */
class CliError extends Error {
  constructor (message: string, readonly exitCode: number) {
    super(message)
  }
}

function usageError (message: string): CliError {
  return new CliError(`${message}\nRun 'sophia-level --help' for usage.`, EXIT.USAGE)
}

// `interrupted` is set by the SIGINT handler of long-running commands (which
// then calls `onInterrupt`, to wake a command waiting for input), and
// `pipeClosed` when standard output is a pipe that its reader closed (EPIPE).
const state: { interrupted: boolean, pipeClosed: boolean, onInterrupt: (() => void) | null } =
  { interrupted: false, pipeClosed: false, onInterrupt: null }

function checkStop (): void {
  if (state.pipeClosed) throw new CliError('', EXIT.PIPE_CLOSED)
}

// ---------------------------------------------------------------------------
// Options

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  database: { type: 'string' },
  'log-path': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  hex: { type: 'boolean' },
  base64: { type: 'boolean' },
  'key-encoding': { type: 'string' },
  'value-encoding': { type: 'string' },
  gt: { type: 'string' },
  gte: { type: 'string' },
  lt: { type: 'string' },
  lte: { type: 'string' },
  prefix: { type: 'string' },
  reverse: { type: 'boolean' },
  limit: { type: 'string' },
  'keys-only': { type: 'boolean' },
  'values-only': { type: 'boolean' },
  raw: { type: 'boolean' },
  'value-file': { type: 'string' },
  output: { type: 'string', short: 'o' },
  input: { type: 'string', short: 'i' },
  'batch-size': { type: 'string' },
  progress: { type: 'string' },
  'progress-every': { type: 'string' },
  property: { type: 'string', multiple: true }
} as const

type OptionName = keyof typeof OPTIONS
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS, allowPositionals: true, strict: true }>>['values']

const COMMON: OptionName[] = ['help', 'database', 'log-path']
const ENCODING_OPTIONS: OptionName[] = ['hex', 'base64', 'key-encoding', 'value-encoding']
const RANGE_OPTIONS: OptionName[] = ['gt', 'gte', 'lt', 'lte', 'prefix', 'reverse', 'limit']
const PROGRESS_OPTIONS: OptionName[] = ['quiet', 'progress', 'progress-every']

interface Command {
  /** Names of the positional arguments after <location>; a trailing '?' marks an optional one. */
  args: string[]
  options: OptionName[]
  summary: string
  help: string
  run: (context: Context) => Promise<number>
}

interface Context {
  location: string
  args: string[]
  values: Values
}

// ---------------------------------------------------------------------------
// Help

const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    not found: get of a missing key, stats --property of an unknown property
  2    usage error: unknown command or option, missing or invalid argument
  3    no database at <location> (sophia-level never creates one), or no such --database
  4    the database is locked: it is open in another process
  5    the database is damaged and opening refused it: run 'sophia-level repair'
  6    invalid data: a malformed NDJSON line (load), a key or value over the limits
  7    check found problems
  8    any other error (I/O, Sophia, backup)
  130  interrupted (Ctrl-C)
  141  the reader of standard output went away (a closed pipe)`

const ENCODING_HELP = `Keys and values on the command line are UTF-8 text unless:
  --hex, --base64             both keys and values in that encoding
  --key-encoding ENC          keys (arguments and range bounds): utf8, hex, base64 or json
  --value-encoding ENC        values: utf8, hex, base64 or json`

const COMMANDS: Record<string, Command> = {
  stats: {
    args: [],
    options: [...COMMON, 'json', 'property'],
    summary: 'statistics of the database',
    help: `Usage: sophia-level stats <location> [--json] [--property KEY]...

Prints the database's statistics: records (deletions included until
compaction), older versions kept, memory, size on disk, nodes, pages and the
write-ahead log. Operation counters start at zero at every open: --json shows
all of db.stats(), them included.

  --json            db.stats() as JSON
  --property KEY    print Sophia's configuration or statistics key KEY instead
                    (for example sophia.version, db.main.index.count); may be
                    repeated; exit code 1 if Sophia has no such key`,
    run: runStats
  },
  get: {
    args: ['key'],
    options: [...COMMON, ...ENCODING_OPTIONS, 'json', 'raw'],
    summary: 'print the value of a key',
    help: `Usage: sophia-level get <location> <key> [options]

Prints the value of <key>, followed by a newline: as text when it is valid
UTF-8 without control characters (tabs and line breaks allowed), otherwise in
hex as <hex …>. Exit code 1 if the key is not there.

  --raw             write the value's exact bytes, without a newline
  --json            print {"key": …, "value": …} (see 'sophia-level dump --help')

${ENCODING_HELP}`,
    run: runGet
  },
  put: {
    args: ['key', 'value?'],
    options: [...COMMON, ...ENCODING_OPTIONS, 'value-file'],
    summary: 'write a key (value from the argument or --value-file)',
    help: `Usage: sophia-level put <location> <key> <value> [options]
       sophia-level put <location> <key> --value-file FILE [options]

Writes <key> with <value>, durably (synced to disk before exiting).

  --value-file FILE   the value is the exact bytes of FILE ('-' for standard input)

${ENCODING_HELP}`,
    run: runPut
  },
  del: {
    args: ['key'],
    options: [...COMMON, 'hex', 'base64', 'key-encoding'],
    summary: 'delete a key',
    help: `Usage: sophia-level del <location> <key> [options]

Deletes <key>, durably. Deleting a key that is not there succeeds.

  --hex, --base64, --key-encoding ENC   the key's encoding (utf8, hex, base64, json)`,
    run: runDel
  },
  scan: {
    args: [],
    options: [...COMMON, ...ENCODING_OPTIONS, ...RANGE_OPTIONS, 'keys-only', 'values-only', 'json'],
    summary: 'list entries in key order',
    help: `Usage: sophia-level scan <location> [options]

Lists entries in key order (bytewise), one per line: key, a tab, value. Text
that is printable UTF-8 is shown as is, anything else in hex as <hex …>, and
an empty key or value as <empty>.

  --gt K, --gte K, --lt K, --lte K   range bounds (in the key encoding)
  --prefix P        keys starting with the bytes of P (may be combined with bounds)
  --reverse         from the last key to the first
  --limit N         at most N entries
  --keys-only       keys only
  --values-only     values only
  --json            one JSON object per line, {"key": …, "value": …}, exact
                    (the NDJSON of 'dump')

${ENCODING_HELP}
With --key-encoding or --value-encoding, keys or values are shown in that
encoding (json: parsed and printed compactly).`,
    run: runScan
  },
  dump: {
    args: [],
    options: [...COMMON, ...RANGE_OPTIONS, ...PROGRESS_OPTIONS, 'hex', 'base64', 'key-encoding', 'value-encoding', 'output'],
    summary: 'write entries as NDJSON to standard output or --output',
    help: `Usage: sophia-level dump <location> [--output FILE] [options]

Writes every entry (or a range) in key order as NDJSON, one object per line:

  {"key":"user:1","value":"Ann"}
  {"key":"AP8=","keyEncoding":"base64","value":"/w==","valueEncoding":"base64"}

A key or value that is valid UTF-8 is written as a JSON string; anything else
in base64 with a "keyEncoding" or "valueEncoding" field ("base64"; "hex" with
--hex). 'sophia-level load' reads it back byte for byte. The dump reads a
point-in-time view of the database.

  -o, --output FILE   write to FILE (atomically: a temporary file renamed at the
                      end) instead of standard output ('-')
  --hex, --base64     every key and value in that encoding
  --key-encoding ENC, --value-encoding ENC   utf8 (the default: base64 when not
                      valid UTF-8), hex or base64, for keys or values
  --gt, --gte, --lt, --lte, --prefix, --reverse, --limit   a range, as for scan
  --progress MODE     auto (the default: a bar when standard error is a terminal,
                      else lines), bar, lines or none
  --progress-every N  a progress line every N records (default ${DEFAULT_PROGRESS_EVERY})
  -q, --quiet         no progress and no summary`,
    run: runDump
  },
  load: {
    args: [],
    options: [...COMMON, ...PROGRESS_OPTIONS, 'hex', 'base64', 'key-encoding', 'value-encoding', 'input', 'batch-size', 'json'],
    summary: 'write NDJSON records from standard input or --input, in atomic batches',
    help: `Usage: sophia-level load <location> [--input FILE] [options]

Reads NDJSON records (the format of 'sophia-level dump') and writes them in
batches, each one atomic; the last is synced to disk. Existing keys are
overwritten, others are left alone. Blank lines are skipped. A record is an
object with "key" and "value" and optionally "keyEncoding" and
"valueEncoding" (utf8, hex, base64, or json: the field is any JSON value,
stored as its JSON text); a key or value that is not a string is stored as
its JSON text.

On a malformed line, load reports its line number and stops with exit code 6
without writing the batch that line belongs to; the batches written before it
stay in the database, as the summary says.

  -i, --input FILE    read FILE instead of standard input ('-')
  --batch-size N      records per batch (default ${DEFAULT_BATCH_SIZE})
  --key-encoding ENC, --value-encoding ENC, --hex, --base64
                      the encoding of string keys or values of records without
                      an encoding field (default utf8)
  --progress MODE     auto (the default: a bar when standard error is a terminal,
                      else lines), bar, lines or none
  --progress-every N  a progress line every N records (default ${DEFAULT_PROGRESS_EVERY})
  -q, --quiet         no progress and no summary (errors are still reported)
  --json              the summary as JSON on standard output`,
    run: runLoad
  },
  backup: {
    args: ['backup-dir'],
    options: [...COMMON, 'json'],
    summary: 'back up the database into a new directory of <backup-dir>',
    help: `Usage: sophia-level backup <location> <backup-dir> [--json]

Backs up the database's whole environment into a new directory
<backup-dir>/<n> (created as needed) and prints it. The copy opens as a
normal database: sophia-level check <backup-dir>/<n>.

  --json            print {"directory": …}`,
    run: runBackup
  },
  checkpoint: {
    args: [],
    options: [...COMMON, 'json'],
    summary: 'move data held in memory and the write-ahead log into the database files',
    help: `Usage: sophia-level checkpoint <location> [--json]

Flushes what the database holds only in memory and in its write-ahead log to
its node files, deletes the log files no longer needed, and prints the log's
size and the memory used before and after. A log shared with other databases
of an environment shrinks only once each of them is checkpointed.

  --json            print {"before": …, "after": …}, each with the log's
                    files and bytes and the memory used`,
    run: (context) => runMaintenance(context, 'checkpoint')
  },
  compact: {
    args: [],
    options: [...COMMON, 'json'],
    summary: 'checkpoint, then drop old versions, deleted keys and expired rows',
    help: `Usage: sophia-level compact <location> [--json]

A checkpoint, then a rewrite of every part of the database files holding old
versions or deleted keys (and expired rows, for a database with expire).
Prints the records, log and memory before and after.

  --json            print {"before": …, "after": …}, each with the records,
                    the log's files and bytes and the memory used`,
    run: (context) => runMaintenance(context, 'compact')
  },
  check: {
    args: [],
    options: [...COMMON, ...PROGRESS_OPTIONS, 'json'],
    summary: 'read and verify every entry, and report',
    help: `Usage: sophia-level check <location> [--json]

Opens the database (which checks its write-ahead log), reads every entry in
order and in reverse order, reads each back by its key, and reports counts
and sizes. It verifies that keys are in strictly increasing byte order and
within the size limit, that both scans see the same entries, and that every
point read gives the scanned value. Exit code 7 on any problem, 5 if the
database is damaged beyond opening.

  --json            the report as JSON
  --progress MODE, --progress-every N   progress on standard error, as for dump
  -q, --quiet       no progress`,
    run: runCheck
  },
  repair: {
    args: [],
    options: ['help', 'log-path', 'json'],
    summary: 'salvage a damaged write-ahead log (the database must be closed)',
    help: `Usage: sophia-level repair <location> [--json]

Salvages a database whose write-ahead log is damaged (what other commands
report with exit code 5): keeps every complete write up to the first damage
in each log file and moves the rest into a file beside it
(<log file>.damaged-<time>). Writes after the damage in a file are lost
(a batch is kept whole or not at all). Prints what was dropped and where it
was kept. Applies to the whole environment; the database must be closed.

  --json            the result of SophiaLevel.repair() as JSON`,
    run: runRepair
  }
}

function mainHelp (): string {
  const width = Math.max(...Object.entries(COMMANDS).map(([name, command]) => commandSynopsis(name, command).length))
  const lines = Object.entries(COMMANDS).map(([name, command]) =>
    `  ${commandSynopsis(name, command).padEnd(width)}  ${command.summary}`)
  return `Usage: sophia-level <command> <location> [arguments] [options]

Inspects and maintains a sophia-level database. The database at <location>
must exist: sophia-level never creates one.

Commands:
${lines.join('\n')}

Options of every command:
  --database NAME   a database of a SophiaEnv environment (default: main)
  --log-path DIR    the write-ahead log's directory, if not <location>/log
  -h, --help        help; 'sophia-level <command> --help' for a command's options
  --version         the version of sophia-level

${ENCODING_HELP}

${EXIT_CODES_HELP}

Examples:
  sophia-level scan ./data --prefix user: --limit 10
  sophia-level get ./data user:1
  sophia-level put ./data user:1 '{"name":"Ann"}'
  sophia-level dump ./data --output data.ndjson
  sophia-level load ./other --input data.ndjson    (./other must exist)
  sophia-level check ./data || sophia-level repair ./data`
}

function commandSynopsis (name: string, command: Command): string {
  const args = command.args.map((arg) => (arg.endsWith('?') ? `[<${arg.slice(0, -1)}>]` : `<${arg}>`))
  return [name, '<location>', ...args].join(' ')
}

function version (): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown }
    return String(pkg.version)
  } catch {
    return 'unknown'
  }
}

// ---------------------------------------------------------------------------
// Entry point

/** Runs the tool with the arguments after `node sophia-level`; resolves with the exit code. */
export async function main (argv: string[]): Promise<number> {
  // EPIPE: the reader went away (as with `| head`). Nothing more can be
  // written there, whatever the error; the command stops at its next write.
  process.stdout.on('error', () => {
    state.pipeClosed = true
  })
  // Report Node's and sophia-level's warnings (such as a torn log tail cut
  // off when opening) in the tool's own words.
  process.removeAllListeners('warning')
  process.on('warning', (warning) => {
    process.stderr.write(`sophia-level: warning: ${warning.message}\n`)
  })
  try {
    return await dispatch(argv)
  } catch (err) {
    if (err instanceof CliError) {
      if (err.message !== '') process.stderr.write(`sophia-level: ${err.message}\n`)
      return err.exitCode
    }
    const error = err as Error & { code?: unknown }
    process.stderr.write(`sophia-level: ${describeError(error)}\n`)
    return EXIT.ERROR
  }
}

/** main(), then the process exits with its code once standard output and error are flushed. */
export function run (argv: string[] = process.argv.slice(2)): void {
  main(argv).then(async (code) => {
    await flush(process.stderr)
    if (!state.pipeClosed) await flush(process.stdout)
    process.exit(code)
  }, (err) => {
    process.stderr.write(`sophia-level: ${String(err)}\n`)
    process.exit(EXIT.ERROR)
  })
}

function flush (stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve()
    stream.write('', () => resolve())
  })
}

async function dispatch (argv: string[]): Promise<number> {
  let parsed: { values: Values, positionals: string[] }
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw usageError((err as Error).message)
  }
  const { values, positionals } = parsed
  const [name, ...rest] = positionals
  if (values.version === true && name === undefined) {
    process.stdout.write(`${version()}\n`)
    return EXIT.OK
  }
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined
    if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) {
      process.stdout.write(`${COMMANDS[topic].help}\n`)
      return EXIT.OK
    }
    if (values.help === true || name === 'help') {
      process.stdout.write(`${mainHelp()}\n`)
      return EXIT.OK
    }
    process.stderr.write(`${mainHelp()}\n`)
    return EXIT.USAGE
  }
  if (!Object.hasOwn(COMMANDS, name)) throw usageError(`unknown command '${name}'`)
  const command = COMMANDS[name]
  if (values.help === true) {
    process.stdout.write(`${command.help}\n`)
    return EXIT.OK
  }
  for (const option of Object.keys(values) as OptionName[]) {
    if (values[option] !== undefined && !command.options.includes(option)) {
      throw usageError(`--${option} is not an option of '${name}' (see 'sophia-level ${name} --help')`)
    }
  }
  const [location, ...args] = rest
  if (location === undefined || location === '') throw usageError(`'${name}' needs a <location>: ${commandSynopsis(name, command)}`)
  const required = command.args.filter((arg) => !arg.endsWith('?')).length
  if (args.length < required) {
    throw usageError(`'${name}' needs ${command.args.slice(args.length, required).map((arg) => `<${arg}>`).join(' and ')}: ${commandSynopsis(name, command)}`)
  }
  if (args.length > command.args.length) {
    throw usageError(`too many arguments for '${name}' (${args.slice(command.args.length).map((arg) => JSON.stringify(arg)).join(', ')}): ${commandSynopsis(name, command)}`)
  }
  return command.run({ location, args, values })
}

// ---------------------------------------------------------------------------
// Opening the database

interface Opened {
  db: Db
  name: string
  close: () => Promise<void>
  // Sophia's limit on a key: on a plain key; a keySchema limits each part
  // (the database checks those), not the encoded whole.
  maxKeyBytes: number
}

function logDirectory (location: string, values: Values): string {
  return values['log-path'] !== undefined ? path.resolve(values['log-path']) : path.join(location, 'log')
}

// The checks opening makes with createIfMissing: false (a directory with a
// write-ahead log directory), made here too for `repair`, and the database
// name, which the environment's catalog must list: opening an environment
// without it would declare it, that is, create it.
function checkExists (location: string, values: Values, name: string | null): void {
  let info: fs.Stats
  try {
    info = fs.statSync(location)
  } catch {
    throw new CliError(`no database at ${location}: it does not exist (sophia-level never creates one)`, EXIT.MISSING)
  }
  if (!info.isDirectory()) throw new CliError(`no database at ${location}: it is not a directory`, EXIT.MISSING)
  if (!fs.existsSync(logDirectory(location, values))) {
    throw new CliError(`no database at ${location}: it has no write-ahead log (${logDirectory(location, values)})` +
      (values['log-path'] === undefined ? '; if the log is elsewhere, give --log-path' : ''), EXIT.MISSING)
  }
  if (name === null) return
  const catalogFile = path.join(location, 'databases')
  // An environment made before catalogs existed holds one database, main.
  const names = fs.existsSync(catalogFile)
    ? fs.readFileSync(catalogFile, 'utf8').split('\n').filter((line) => line !== '')
    : ['main']
  if (!names.includes(name)) {
    throw new CliError(`no database '${name}' in the environment at ${location}; it has ${names.map((n) => `'${n}'`).join(', ')}` +
      (name === 'main' ? ' (choose one with --database NAME)' : ''), EXIT.MISSING)
  }
}

async function openDatabase (context: Context, extra: { backupPath?: string } = {}): Promise<Opened> {
  const { location, values } = context
  const name = values.database ?? 'main'
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name) || name === 'log') {
    throw usageError(`--database must be 1 to 64 letters, digits, '-' or '_', and not 'log'`)
  }
  checkExists(location, values, name)
  // Whatever fields the database has: keys of a keySchema cross as their
  // byte-string form.
  const encodings = { keyEncoding: 'buffer', valueEncoding: 'buffer', [kStoredFields]: true }
  const environment = { logPath: values['log-path'], backupPath: extra.backupPath }
  let db: Db
  let close: () => Promise<void>
  let opening: Promise<void>
  if (name === 'main') {
    db = new SophiaLevel<Buffer, Buffer>(location, { ...encodings, ...environment, createIfMissing: false })
    opening = db.open({ createIfMissing: false })
    close = () => db.close()
  } else {
    const env = new SophiaEnv(location, { ...environment, createIfMissing: false })
    db = env.database<Buffer, Buffer>(name, encodings)
    opening = env.open()
    close = () => env.close()
  }
  try {
    await opening
  } catch (err) {
    await close().catch(() => {})
    throw openError(location, err as Error)
  }
  const plainKeys = db.getProperty(`db.${name}.scheme.key`) === 'string,key(0)'
  return { db, name, close, maxKeyBytes: plainKeys ? MAX_KEY_BYTES : Infinity }
}

function codesOf (err: unknown): string[] {
  const codes: string[] = []
  for (let e = err as { code?: unknown, cause?: unknown } | undefined; e != null && codes.length < 10; e = e.cause as typeof e) {
    if (typeof e.code === 'string') codes.push(e.code)
  }
  return codes
}

// The innermost message: opening wraps the reason in LEVEL_DATABASE_NOT_OPEN.
function innermostMessage (err: unknown): string {
  let e = err as { message?: unknown, cause?: unknown }
  while (e.cause != null && typeof (e.cause as { message?: unknown }).message === 'string') e = e.cause as typeof e
  return String(e.message)
}

function openError (location: string, err: Error): CliError {
  const codes = codesOf(err)
  const reason = innermostMessage(err)
  if (codes.includes('LEVEL_LOCKED')) {
    return new CliError(`the database at ${location} is locked: it is open in another process (or another instance). ` +
      'Close it there first; to share a database between processes, see many-level in the README.', EXIT.LOCKED)
  }
  if (codes.includes('SOPHIA_DATABASE_MISSING')) {
    return new CliError(`no database at ${location} (sophia-level never creates one): ${reason}`, EXIT.MISSING)
  }
  if (codes.includes('LEVEL_CORRUPTION')) {
    return new CliError(`the database at ${location} is damaged and cannot be opened: ` +
      `${reason.replace(/; SophiaLevel\.repair\(\) salvages what can be saved$/, '')}\n` +
      `Run 'sophia-level repair ${location}' to salvage it (it keeps every complete write up to the damage and ` +
      `moves the rest aside), then 'sophia-level check ${location}'.`, EXIT.CORRUPTED)
  }
  return new CliError(`cannot open the database at ${location}: ${reason}`, EXIT.ERROR)
}

function describeError (err: Error & { code?: unknown }): string {
  const reason = innermostMessage(err)
  const codes = codesOf(err)
  return codes.length > 0 ? `${reason} (${codes.join(', ')})` : reason
}

// Data errors of writes (a key or value over Sophia's limits) are exit code 6.
function writeError (err: unknown): CliError {
  const codes = codesOf(err)
  const exitCode = codes.includes('SOPHIA_KEY_TOO_LARGE') || codes.includes('SOPHIA_VALUE_TOO_LARGE') ? EXIT.BAD_DATA : EXIT.ERROR
  return new CliError(describeError(err as Error), exitCode)
}

async function withDatabase<T> (context: Context, fn: (opened: Opened) => Promise<T>, extra?: { backupPath?: string }): Promise<T> {
  const opened = await openDatabase(context, extra)
  try {
    return await fn(opened)
  } finally {
    await opened.close()
  }
}

// Long commands stop cleanly on Ctrl-C (a second one exits at once).
function catchInterrupts (): () => void {
  const onSigint = (): void => {
    if (state.interrupted) process.exit(EXIT.INTERRUPTED)
    state.interrupted = true
    state.onInterrupt?.()
  }
  process.on('SIGINT', onSigint)
  return () => process.off('SIGINT', onSigint)
}

// ---------------------------------------------------------------------------
// Encodings

function parseEncoding (value: string | undefined, option: string, allowed: readonly Encoding[] = ENCODINGS): Encoding | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`--${option} must be one of ${allowed.join(', ')} (not '${value}')`)
  }
  return value as Encoding
}

/** The key and value encodings chosen with --hex, --base64, --key-encoding and --value-encoding; undefined when not chosen. */
function chosenEncodings (values: Values, allowed: readonly Encoding[] = ENCODINGS): { key: Encoding | undefined, value: Encoding | undefined } {
  if (values.hex === true && values.base64 === true) throw usageError('--hex and --base64 exclude each other')
  const both: Encoding | undefined = values.hex === true ? 'hex' : values.base64 === true ? 'base64' : undefined
  const key = parseEncoding(values['key-encoding'], 'key-encoding', allowed)
  const value = parseEncoding(values['value-encoding'], 'value-encoding', allowed)
  if (both !== undefined && (key !== undefined || value !== undefined)) {
    throw usageError(`--${both} sets both encodings: give either it or --key-encoding/--value-encoding`)
  }
  return { key: key ?? both, value: value ?? both }
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** The bytes of `text` in `encoding`; throws `invalid(reason)` when it is not valid. */
function decodeText (text: string, encoding: Encoding, invalid: (reason: string) => Error): Buffer {
  switch (encoding) {
    case 'utf8':
      return Buffer.from(text, 'utf8')
    case 'hex':
      if (!HEX.test(text)) throw invalid('is not hex (an even number of 0-9, a-f)')
      return Buffer.from(text, 'hex')
    case 'base64': {
      const bytes = Buffer.from(text, 'base64')
      if (!BASE64.test(text) || bytes.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
        throw invalid('is not base64')
      }
      return bytes
    }
    case 'json':
      try {
        return Buffer.from(JSON.stringify(JSON.parse(text)), 'utf8')
      } catch {
        throw invalid('is not JSON')
      }
  }
}

function argumentBytes (text: string, encoding: Encoding | undefined, what: string): Buffer {
  const chosen = encoding ?? 'utf8'
  return decodeText(text, chosen, (reason) => usageError(`${what} ${JSON.stringify(text)} ${reason}`))
}

const isUtf8: (bytes: Buffer) => boolean = typeof (require('buffer') as { isUtf8?: unknown }).isUtf8 === 'function'
  ? (require('buffer') as { isUtf8: (bytes: Buffer) => boolean }).isUtf8
  : (bytes) => Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)

// Control characters, and line and paragraph separators, are not printable.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
// What `get` prints as text: the same, except tabs and line breaks.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/

/** Printable UTF-8 as is, anything else in hex as <hex …>, an empty one as <empty>. */
function readable (bytes: Buffer): string {
  if (bytes.length === 0) return '<empty>'
  if (isUtf8(bytes)) {
    const text = bytes.toString('utf8')
    if (!UNPRINTABLE.test(text)) return text
  }
  return `<hex ${bytes.toString('hex')}>`
}

/** The text of `bytes` in a chosen encoding, or readable() when none was chosen (or json that is not). */
function display (bytes: Buffer, encoding: Encoding | undefined): string {
  switch (encoding) {
    case undefined:
      return readable(bytes)
    case 'utf8':
      return bytes.toString('utf8')
    case 'hex':
    case 'base64':
      return bytes.toString(encoding)
    case 'json': {
      const parsed = parseJson(bytes)
      return parsed === undefined ? readable(bytes) : JSON.stringify(parsed.value)
    }
  }
}

function parseJson (bytes: Buffer): { value: unknown } | undefined {
  if (!isUtf8(bytes)) return undefined
  try {
    return { value: JSON.parse(bytes.toString('utf8')) }
  } catch {
    return undefined
  }
}

// One side (key or value) of an NDJSON record: a JSON string when the bytes
// are valid UTF-8 (or the chosen encoding), base64 or hex otherwise, with its
// encoding named; for json, the parsed value.
function recordField (bytes: Buffer, encoding: Encoding | undefined): { value: unknown, encoding?: Encoding } {
  switch (encoding) {
    case 'hex':
    case 'base64':
      return { value: bytes.toString(encoding), encoding }
    case 'json': {
      const parsed = parseJson(bytes)
      if (parsed !== undefined) return { value: parsed.value, encoding: 'json' }
      break
    }
    default:
      break
  }
  return isUtf8(bytes) ? { value: bytes.toString('utf8') } : { value: bytes.toString('base64'), encoding: 'base64' }
}

function recordLine (key: Buffer | undefined, value: Buffer | undefined, encodings: { key: Encoding | undefined, value: Encoding | undefined }): string {
  const record: Record<string, unknown> = {}
  if (key !== undefined) {
    const field = recordField(key, encodings.key)
    record.key = field.value
    if (field.encoding !== undefined) record.keyEncoding = field.encoding
  }
  if (value !== undefined) {
    const field = recordField(value, encodings.value)
    record.value = field.value
    if (field.encoding !== undefined) record.valueEncoding = field.encoding
  }
  return JSON.stringify(record)
}

const RECORD_FIELDS = new Set(['key', 'value', 'keyEncoding', 'valueEncoding'])

class BadRecord extends Error {}

// One side of a record read by `load`.
function recordBytes (record: Record<string, unknown>, side: 'key' | 'value', defaultEncoding: Encoding): Buffer {
  const field = record[side]
  const encodingField = `${side}Encoding`
  const named = record[encodingField]
  if (named !== undefined && (typeof named !== 'string' || !(ENCODINGS as readonly string[]).includes(named))) {
    throw new BadRecord(`"${encodingField}" must be one of ${ENCODINGS.map((e) => `"${e}"`).join(', ')}`)
  }
  const encoding = named as Encoding | undefined
  if (encoding === 'json' || (encoding === undefined && typeof field !== 'string')) {
    return Buffer.from(JSON.stringify(field), 'utf8')
  }
  if (typeof field !== 'string') throw new BadRecord(`"${side}" must be a string with ${encodingField} "${encoding}"`)
  return decodeText(field, encoding ?? defaultEncoding, (reason) =>
    new BadRecord(`"${side}" ${reason}${encoding === undefined ? ` (the default encoding is ${defaultEncoding})` : ''}`))
}

function parseRecord (line: string, defaults: { key: Encoding, value: Encoding }, maxKeyBytes: number): { key: Buffer, value: Buffer } {
  let record: unknown
  try {
    record = JSON.parse(line)
  } catch (err) {
    throw new BadRecord(`not valid JSON (${(err as Error).message})`)
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new BadRecord('not a JSON object')
  const fields = record as Record<string, unknown>
  for (const name of Object.keys(fields)) {
    if (!RECORD_FIELDS.has(name)) throw new BadRecord(`unknown field ${JSON.stringify(name)} (a record has key, value, keyEncoding, valueEncoding)`)
  }
  if (!('key' in fields)) throw new BadRecord('no "key"')
  if (!('value' in fields)) throw new BadRecord('no "value"')
  const key = recordBytes(fields, 'key', defaults.key)
  if (key.length > maxKeyBytes) throw new BadRecord(`the key has ${key.length} bytes, over the limit of ${maxKeyBytes}`)
  return { key, value: recordBytes(fields, 'value', defaults.value) }
}

// ---------------------------------------------------------------------------
// Ranges

interface Range {
  gt?: Buffer
  gte?: Buffer
  lt?: Buffer
  lte?: Buffer
  reverse: boolean
  limit: number
}

function parseCount (text: string | undefined, option: string, min: number, fallback: number): number {
  if (text === undefined) return fallback
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw usageError(`--${option} must be an integer of at least ${min} (not '${text}')`)
  }
  return Number(text)
}

/** The first key after every key that starts with `prefix`, or null when there is none (empty or all 0xff). */
export function prefixUpperBound (prefix: Buffer): Buffer | null {
  let end = prefix.length
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return null
  const bound = Buffer.from(prefix.subarray(0, end))
  bound[end - 1]++
  return bound
}

function parseRange (values: Values, keyEncoding: Encoding | undefined): Range {
  if (values.gt !== undefined && values.gte !== undefined) throw usageError('--gt and --gte exclude each other')
  if (values.lt !== undefined && values.lte !== undefined) throw usageError('--lt and --lte exclude each other')
  const bound = (option: 'gt' | 'gte' | 'lt' | 'lte' | 'prefix'): Buffer | undefined => {
    const text = values[option]
    return text === undefined ? undefined : argumentBytes(text, keyEncoding, `--${option}`)
  }
  let lower: { key: Buffer, inclusive: boolean } | null = null
  let upper: { key: Buffer, inclusive: boolean } | null = null
  const gt = bound('gt')
  const gte = bound('gte')
  const lt = bound('lt')
  const lte = bound('lte')
  if (gt !== undefined) lower = { key: gt, inclusive: false }
  if (gte !== undefined) lower = { key: gte, inclusive: true }
  if (lt !== undefined) upper = { key: lt, inclusive: false }
  if (lte !== undefined) upper = { key: lte, inclusive: true }
  const prefix = bound('prefix')
  if (prefix !== undefined) {
    // The intersection of the bounds with [prefix, next prefix).
    const order = lower === null ? -1 : Buffer.compare(lower.key, prefix)
    if (order < 0) lower = { key: prefix, inclusive: true }
    const end = prefixUpperBound(prefix)
    if (end !== null && (upper === null || Buffer.compare(end, upper.key) <= 0)) upper = { key: end, inclusive: false }
  }
  const range: Range = { reverse: values.reverse === true, limit: parseCount(values.limit, 'limit', 0, -1) }
  if (lower !== null) range[lower.inclusive ? 'gte' : 'gt'] = lower.key
  if (upper !== null) range[upper.inclusive ? 'lte' : 'lt'] = upper.key
  return range
}

// ---------------------------------------------------------------------------
// Output: buffered, waiting for the reader, to standard output or a file.

interface Sink {
  write: (chunk: string) => Promise<void>
}

function waitForDrain (stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done)
      stream.off('error', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('error', done)
    stream.on('close', done)
  })
}

const stdoutSink: Sink = {
  async write (chunk) {
    checkStop()
    if (!process.stdout.write(chunk)) await waitForDrain(process.stdout)
    checkStop()
  }
}

class Output {
  #parts: string[] = []
  #size = 0
  bytes = 0

  constructor (private readonly sink: Sink) {}

  async write (text: string): Promise<void> {
    this.#parts.push(text)
    this.#size += text.length
    if (this.#size >= OUTPUT_BUFFER) await this.flush()
  }

  async flush (): Promise<void> {
    if (this.#parts.length === 0) return
    const chunk = this.#parts.join('')
    this.#parts = []
    this.#size = 0
    this.bytes += Buffer.byteLength(chunk)
    await this.sink.write(chunk)
  }
}

// A file written under a temporary name and renamed into place once complete.
class AtomicFile implements Sink {
  readonly temporary: string

  private constructor (readonly file: string, private readonly handle: fs.promises.FileHandle, temporary: string) {
    this.temporary = temporary
  }

  static async create (file: string): Promise<AtomicFile> {
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`)
    return new AtomicFile(file, await fs.promises.open(temporary, 'w'), temporary)
  }

  async write (chunk: string): Promise<void> {
    await this.handle.write(chunk)
  }

  async commit (): Promise<void> {
    await this.handle.sync()
    await this.handle.close()
    await fs.promises.rename(this.temporary, this.file)
    try {
      const directory = await fs.promises.open(path.dirname(this.file), 'r')
      await directory.sync().finally(() => directory.close())
    } catch {
      // Not every file system syncs directories.
    }
  }

  async abort (): Promise<void> {
    await this.handle.close().catch(() => {})
    await fs.promises.rm(this.temporary, { force: true })
  }
}

// ---------------------------------------------------------------------------
// Progress: a bar on a terminal, plain lines otherwise.

function formatCount (n: number): string {
  return n.toLocaleString('en-US')
}

function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

function plural (n: number, word: string, words = `${word}s`): string {
  return `${formatCount(n)} ${n === 1 ? word : words}`
}

function formatSeconds (ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

function rate (count: number, ms: number): string {
  return ms <= 0 ? '-' : formatCount(Math.round(count / (ms / 1000)))
}

function progressMode (values: Values): ProgressMode {
  if (values.quiet === true) return 'none'
  const mode = values.progress
  if (mode === undefined || mode === 'auto') return process.stderr.isTTY === true ? 'bar' : 'lines'
  if (mode === 'bar' || mode === 'lines' || mode === 'none') return mode
  throw usageError(`--progress must be auto, bar, lines or none (not '${mode}')`)
}

class Progress {
  readonly #start = Date.now()
  #lastDraw = 0
  #lastLine = 0
  #drawn = false

  /** `total`: the bytes of input expected, when known, for a percentage. */
  constructor (private readonly mode: ProgressMode, private readonly verb: string, private readonly every: number,
    private readonly total: number | null = null) {}

  get elapsed (): number {
    return Date.now() - this.#start
  }

  update (records: number, bytes: number, inputBytes = 0): void {
    if (this.mode === 'lines') {
      if (Math.floor(records / this.every) > Math.floor(this.#lastLine / this.every)) {
        this.#lastLine = records
        process.stderr.write(`${this.verb}: ${formatCount(records)} records, ${formatBytes(bytes)}, ` +
          `${rate(records, this.elapsed)} records/s\n`)
      }
    } else if (this.mode === 'bar') {
      const now = Date.now()
      if (now - this.#lastDraw < BAR_INTERVAL_MS) return
      this.#lastDraw = now
      this.#draw(records, bytes, inputBytes)
    }
  }

  #draw (records: number, bytes: number, inputBytes: number): void {
    const columns = process.stderr.columns ?? 80
    const counts = `${formatCount(records)} records  ${formatBytes(bytes)}  ${rate(records, this.elapsed)} records/s`
    let line = `${this.verb}  ${counts}`
    if (this.total !== null && this.total > 0) {
      const fraction = Math.min(1, inputBytes / this.total)
      const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
      const width = Math.max(10, Math.min(40, columns - counts.length - this.verb.length - 12))
      const filled = Math.round(fraction * width)
      line = `${this.verb}  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}  ${counts}`
    }
    process.stderr.write(`\r${line.slice(0, columns - 1)}\x1b[K`)
    this.#drawn = true
  }

  /** Clears the bar, leaving the line for the summary. */
  done (): void {
    if (this.#drawn) process.stderr.write('\r\x1b[K')
  }
}

// ---------------------------------------------------------------------------
// Commands

async function runStats (context: Context): Promise<number> {
  const { values } = context
  return withDatabase(context, async ({ db, name }) => {
    if (values.property !== undefined) {
      const properties = values.property.map((key) => [key, db.getProperty(key)] as const)
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify(Object.fromEntries(properties.map(([key, value]) => [key, value ?? null])))}\n`)
      } else {
        for (const [, value] of properties) if (value !== undefined) process.stdout.write(`${value}\n`)
      }
      const missing = properties.filter(([, value]) => value === undefined).map(([key]) => key)
      if (missing.length > 0) {
        process.stderr.write(`sophia-level: Sophia has no property ${missing.map((key) => `'${key}'`).join(', ')}\n`)
        return EXIT.NOT_FOUND
      }
      return EXIT.OK
    }
    const stats = await db.stats()
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`)
    } else {
      process.stdout.write(formatStats(stats, context.location, name, db.getProperty('sophia.version')))
    }
    return EXIT.OK
  })
}

function formatStats (stats: SophiaStats, location: string, name: string, sophiaVersion: string | undefined): string {
  const rows: Array<[string, string]> = [
    ['database', `${name} at ${path.resolve(location)}${sophiaVersion === undefined ? '' : ` (Sophia ${sophiaVersion})`}`],
    ['status', stats.status],
    ['records', `${formatCount(stats.records)} (latest versions of keys, deletions included until compaction)`],
    ['duplicates', `${formatCount(stats.duplicates)} (older versions kept for snapshots and transactions)`],
    ['memory used', `${formatBytes(stats.memoryUsed)} (in-memory index not yet flushed to disk)`],
    ['disk size', `${formatBytes(stats.diskSize)} (${formatBytes(stats.diskSizeUncompressed)} uncompressed) in ` +
      `${plural(stats.nodes, 'node')}, ${plural(stats.pages, 'page')}`],
    ['write-ahead log', `${plural(stats.log.files, 'file')}, ${formatBytes(stats.log.bytes)}`]
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('')
}

async function runGet (context: Context): Promise<number> {
  const { values, args } = context
  if (values.raw === true && values.json === true) throw usageError('--raw and --json exclude each other')
  const encodings = chosenEncodings(values)
  const key = argumentBytes(args[0], encodings.key, 'the key')
  return withDatabase(context, async ({ db }) => {
    const value = await db.get(key)
    if (value === undefined) {
      process.stderr.write(`sophia-level: not found: ${readable(key)}\n`)
      return EXIT.NOT_FOUND
    }
    if (values.raw === true) {
      process.stdout.write(value)
    } else if (values.json === true) {
      process.stdout.write(`${recordLine(key, value, encodings)}\n`)
    } else if (encodings.value === undefined && isUtf8(value) && !UNPRINTABLE_IN_TEXT.test(value.toString('utf8'))) {
      process.stdout.write(`${value.toString('utf8')}\n`)
    } else {
      process.stdout.write(`${display(value, encodings.value)}\n`)
    }
    return EXIT.OK
  })
}

async function readValueFile (file: string): Promise<Buffer> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks)
    }
    return await fs.promises.readFile(file)
  } catch (err) {
    throw usageError(`cannot read --value-file ${file}: ${(err as Error).message}`)
  }
}

async function runPut (context: Context): Promise<number> {
  const { values, args } = context
  const encodings = chosenEncodings(values)
  const key = argumentBytes(args[0], encodings.key, 'the key')
  if ((args[1] === undefined) === (values['value-file'] === undefined)) {
    throw usageError("'put' needs a value: either a <value> argument or --value-file FILE, not both")
  }
  const value = args[1] !== undefined
    ? argumentBytes(args[1], encodings.value, 'the value')
    : await readValueFile(values['value-file'] as string)
  return withDatabase(context, async ({ db }) => {
    try {
      await db.put(key, value, { sync: true })
    } catch (err) {
      throw writeError(err)
    }
    return EXIT.OK
  })
}

async function runDel (context: Context): Promise<number> {
  const { values, args } = context
  const key = argumentBytes(args[0], chosenEncodings(values).key, 'the key')
  return withDatabase(context, async ({ db }) => {
    try {
      await db.del(key, { sync: true })
    } catch (err) {
      throw writeError(err)
    }
    return EXIT.OK
  })
}

async function runScan (context: Context): Promise<number> {
  const { values } = context
  if (values['keys-only'] === true && values['values-only'] === true) throw usageError('--keys-only and --values-only exclude each other')
  const encodings = chosenEncodings(values)
  const range = parseRange(values, encodings.key)
  const json = values.json === true
  const withKeys = values['values-only'] !== true
  const withValues = values['keys-only'] !== true
  const output = new Output(stdoutSink)
  const stop = catchInterrupts()
  try {
    return await withDatabase(context, async ({ db }) => {
      const iterator = db.iterator({ ...range, keys: withKeys, values: withValues })
      try {
        while (!state.interrupted) {
          const entries = await iterator.nextv(CHUNK)
          if (entries.length === 0) break
          for (const [key, value] of entries) {
            let line: string
            if (json) {
              line = recordLine(withKeys ? key : undefined, withValues ? value : undefined, encodings)
            } else if (!withValues) {
              line = display(key, encodings.key)
            } else if (!withKeys) {
              line = display(value, encodings.value)
            } else {
              line = `${display(key, encodings.key)}\t${display(value, encodings.value)}`
            }
            await output.write(`${line}\n`)
          }
        }
        await output.flush()
      } finally {
        await iterator.close()
      }
      return state.interrupted ? EXIT.INTERRUPTED : EXIT.OK
    })
  } finally {
    stop()
  }
}

async function runDump (context: Context): Promise<number> {
  const { values } = context
  const encodings = chosenEncodings(values, ['utf8', 'hex', 'base64'])
  const range = parseRange(values, encodings.key)
  const mode = progressMode(values)
  const every = parseCount(values['progress-every'], 'progress-every', 1, DEFAULT_PROGRESS_EVERY)
  const target = values.output === undefined || values.output === '-' ? null : path.resolve(values.output)
  if (target !== null && !fs.existsSync(path.dirname(target))) {
    throw usageError(`cannot write --output ${values.output}: the directory ${path.dirname(target)} does not exist`)
  }
  const stop = catchInterrupts()
  try {
    return await withDatabase(context, async ({ db }) => {
      const file = target === null ? null : await AtomicFile.create(target)
      const output = new Output(file ?? stdoutSink)
      const progress = new Progress(mode, 'dump', every)
      let records = 0
      let dataBytes = 0
      try {
        const iterator = db.iterator(range)
        try {
          while (!state.interrupted) {
            const entries = await iterator.nextv(CHUNK)
            if (entries.length === 0) break
            for (const [key, value] of entries) {
              await output.write(`${recordLine(key, value, encodings)}\n`)
              dataBytes += key.length + value.length
            }
            records += entries.length
            progress.update(records, dataBytes)
          }
        } finally {
          await iterator.close()
        }
        await output.flush()
        if (state.interrupted) {
          await file?.abort()
        } else {
          await file?.commit()
        }
      } catch (err) {
        await file?.abort()
        throw err
      } finally {
        progress.done()
      }
      if (mode !== 'none') {
        const where = target === null ? 'standard output' : target
        process.stderr.write(state.interrupted
          ? `dump interrupted after ${plural(records, 'record')}${target === null ? '' : `; ${target} was not written`}\n`
          : `dumped ${plural(records, 'record')} (${formatBytes(dataBytes)} of keys and values, ${formatBytes(output.bytes)} of NDJSON) ` +
            `to ${where} in ${formatSeconds(progress.elapsed)}\n`)
      }
      return state.interrupted ? EXIT.INTERRUPTED : EXIT.OK
    })
  } finally {
    stop()
  }
}

interface LoadSummary {
  records: number
  batches: number
  bytes: number
  inputBytes: number
  lines: number
  seconds: number
  complete: boolean
  error: { line: number, message: string } | null
  discarded: { records: number, fromLine: number } | null
}

async function runLoad (context: Context): Promise<number> {
  const { values } = context
  const chosen = chosenEncodings(values)
  const defaults = { key: chosen.key ?? 'utf8', value: chosen.value ?? 'utf8' }
  const batchSize = parseCount(values['batch-size'], 'batch-size', 1, DEFAULT_BATCH_SIZE)
  const every = parseCount(values['progress-every'], 'progress-every', 1, DEFAULT_PROGRESS_EVERY)
  const mode = progressMode(values)
  const source = values.input === undefined || values.input === '-' ? null : values.input
  let total: number | null = null
  try {
    const info = source === null ? fs.fstatSync(0) : fs.statSync(source)
    if (info.isDirectory()) throw new Error('it is a directory')
    if (info.isFile()) total = info.size
    if (source !== null) fs.accessSync(source, fs.constants.R_OK)
  } catch (err) {
    if (source !== null) throw usageError(`cannot read --input ${source}: ${(err as Error).message}`)
  }
  const stop = catchInterrupts()
  try {
    return await withDatabase(context, async ({ db, maxKeyBytes }) => {
      const input = source === null ? process.stdin : fs.createReadStream(source)
      if (source === null && process.stdin.isTTY === true && mode !== 'none') {
        process.stderr.write('reading NDJSON from standard input (end with Ctrl-D)\n')
      }
      const progress = new Progress(mode, 'load', every, total)
      const summary: LoadSummary = {
        records: 0, batches: 0, bytes: 0, inputBytes: 0, lines: 0, seconds: 0, complete: false, error: null, discarded: null
      }
      let batch: Array<{ type: 'put', key: Buffer, value: Buffer }> = []
      let batchBytes = 0
      let batchLine = 0
      let read = 0
      let writeFailure: unknown = null
      const write = async (sync: boolean): Promise<void> => {
        try {
          await db.batch(batch, { sync })
        } catch (err) {
          writeFailure = err
          throw err
        }
        summary.records += batch.length
        summary.batches++
        summary.bytes += batchBytes
        batch = []
        batchBytes = 0
      }
      const lines = readline.createInterface({ input, crlfDelay: Infinity })
      state.onInterrupt = () => lines.close()
      try {
        for await (let line of lines) {
          if (summary.lines === 0 && line.startsWith('\ufeff')) line = line.slice(1)
          summary.lines++
          summary.inputBytes += Buffer.byteLength(line) + 1
          if (state.interrupted) break
          if (line.trim() === '') continue
          let record: { key: Buffer, value: Buffer }
          try {
            record = parseRecord(line, defaults, maxKeyBytes)
          } catch (err) {
            if (!(err instanceof BadRecord)) throw err
            summary.error = { line: summary.lines, message: err.message }
            break
          }
          // A full batch is written when the next record arrives, so that the
          // last one, written after the end of the input, can be synced.
          if (batch.length >= batchSize) await write(false)
          if (batch.length === 0) batchLine = summary.lines
          batch.push({ type: 'put', key: record.key, value: record.value })
          batchBytes += record.key.length + record.value.length
          read++
          progress.update(read, summary.bytes + batchBytes, summary.inputBytes)
        }
        const stopped = summary.error !== null || state.interrupted
        if (batch.length >= batchSize || (!stopped && batch.length > 0)) await write(true)
        if (batch.length > 0) summary.discarded = { records: batch.length, fromLine: batchLine }
        summary.complete = !stopped
      } catch (err) {
        if (writeFailure === null) throw err
        summary.discarded = { records: batch.length, fromLine: batchLine }
      } finally {
        state.onInterrupt = null
        lines.close()
        input.destroy()
        progress.done()
        summary.seconds = progress.elapsed / 1000
      }
      reportLoad(summary, values, mode, writeFailure)
      if (writeFailure !== null) return writeError(writeFailure).exitCode
      if (summary.error !== null) return EXIT.BAD_DATA
      return state.interrupted ? EXIT.INTERRUPTED : EXIT.OK
    })
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.MISSING && values.database === undefined) {
      // load is how a dump is restored, often into a new database.
      err.message += '\nTo load into a new database, create it first, for example: ' +
        `node -e "new (require('sophia-level').SophiaLevel)(process.argv[1]).open()" ${JSON.stringify(context.location)}`
    }
    throw err
  } finally {
    stop()
  }
}

function reportLoad (summary: LoadSummary, values: Values, mode: ProgressMode, writeFailure: unknown): void {
  if (summary.error !== null) {
    process.stderr.write(`sophia-level: line ${summary.error.line}: ${summary.error.message}\n`)
  }
  if (writeFailure !== null) {
    process.stderr.write(`sophia-level: writing the batch from line ${summary.discarded?.fromLine ?? '?'} failed: ` +
      `${describeError(writeFailure as Error)}\n`)
  }
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(summary)}\n`)
    return
  }
  if (mode === 'none' && summary.complete) return
  const written = `${plural(summary.records, 'record')} in ${plural(summary.batches, 'batch', 'batches')} (${formatBytes(summary.bytes)} of keys and values)`
  if (summary.complete) {
    process.stderr.write(`loaded ${written} from ${formatBytes(summary.inputBytes)} of NDJSON in ${summary.seconds.toFixed(2)} s, ` +
      `${rate(summary.records, summary.seconds * 1000)} records/s\n`)
    return
  }
  const why = summary.error !== null
    ? `stopped at line ${summary.error.line}`
    : writeFailure !== null ? 'stopped by a failed write' : `interrupted at line ${summary.lines}`
  const discarded = summary.discarded === null
    ? ''
    : `; the batch in progress (${plural(summary.discarded.records, 'record')} from line ${summary.discarded.fromLine}) was not written`
  process.stderr.write(`load ${why}${discarded}; ${summary.records === 0 ? 'nothing was written' : `${written} written before it stay in the database`}\n`)
}

async function runBackup (context: Context): Promise<number> {
  const { values, args } = context
  const backupPath = path.resolve(args[0])
  if (fs.existsSync(backupPath) && !fs.statSync(backupPath).isDirectory()) {
    throw usageError(`<backup-dir> ${args[0]} is not a directory`)
  }
  return withDatabase(context, async ({ db }) => {
    const directory = await db.backup()
    process.stdout.write(values.json === true ? `${JSON.stringify({ directory })}\n` : `${directory}\n`)
    return EXIT.OK
  }, { backupPath })
}

async function runMaintenance (context: Context, work: 'checkpoint' | 'compact'): Promise<number> {
  return withDatabase(context, async ({ db }) => {
    const measure = async (): Promise<{ records: number, logFiles: number, logBytes: number, memoryUsed: number }> => {
      const stats = await db.stats()
      return { records: stats.records, logFiles: stats.log.files, logBytes: stats.log.bytes, memoryUsed: stats.memoryUsed }
    }
    const before = await measure()
    await db[work]()
    const after = await measure()
    if (context.values.json === true) {
      process.stdout.write(`${JSON.stringify({ before, after })}\n`)
    } else {
      const files = (n: number): string => `${formatCount(n)} file${n === 1 ? '' : 's'}`
      process.stdout.write(`records   ${formatCount(before.records)} -> ${formatCount(after.records)}\n` +
        `log       ${formatBytes(before.logBytes)} in ${files(before.logFiles)} -> ${formatBytes(after.logBytes)} in ${files(after.logFiles)}\n` +
        `in memory ${formatBytes(before.memoryUsed)} -> ${formatBytes(after.memoryUsed)}\n`)
    }
    return EXIT.OK
  })
}

interface CheckReport {
  location: string
  database: string
  entries: number
  keyBytes: number
  valueBytes: number
  seconds: number
  notes: string[]
  /** How many problems were found; the first MAX_PROBLEMS_KEPT are in `problems`. */
  problemCount: number
  problems: string[]
  ok: boolean
}

async function runCheck (context: Context): Promise<number> {
  const { values } = context
  const mode = progressMode(values)
  const every = parseCount(values['progress-every'], 'progress-every', 1, DEFAULT_PROGRESS_EVERY)
  // Opening may cut off a torn log tail; the check reports it.
  const notes: string[] = []
  const onWarning = (warning: Error & { code?: string }): void => {
    notes.push(warning.message)
  }
  process.on('warning', onWarning)
  const stop = catchInterrupts()
  try {
    return await withDatabase(context, async ({ db, name, maxKeyBytes }) => {
      const report: CheckReport = {
        location: path.resolve(context.location),
        database: name,
        entries: 0,
        keyBytes: 0,
        valueBytes: 0,
        seconds: 0,
        notes,
        problemCount: 0,
        problems: [],
        ok: false
      }
      const problem = (message: string): void => {
        if (report.problemCount++ < MAX_PROBLEMS_KEPT) report.problems.push(message)
      }
      const progress = new Progress(mode, 'check', every)
      let reverseEntries = 0
      let reverseBytes = 0
      try {
        // Forward, with point reads of each chunk.
        let previous: Buffer | null = null
        const forward = db.iterator()
        try {
          while (!state.interrupted) {
            const entries = await forward.nextv(CHUNK)
            if (entries.length === 0) break
            const keys = entries.map(([key]) => key)
            const pointValues = await db.getMany(keys)
            entries.forEach(([key, value], i) => {
              if (previous !== null && Buffer.compare(previous, key) >= 0) {
                problem(`key ${readable(key)} comes after ${readable(previous)}: not in strictly increasing order`)
              }
              if (key.length > maxKeyBytes) problem(`key ${readable(key.subarray(0, 32))}… has ${key.length} bytes, over the limit`)
              const pointValue = pointValues[i]
              if (pointValue === undefined) problem(`key ${readable(key)} is scanned but a read by key does not find it`)
              else if (!pointValue.equals(value)) problem(`key ${readable(key)}: a read by key gives another value than the scan`)
              previous = key
              report.entries++
              report.keyBytes += key.length
              report.valueBytes += value.length
            })
            progress.update(report.entries, report.keyBytes + report.valueBytes)
          }
        } finally {
          await forward.close()
        }
        // Reverse.
        let next: Buffer | null = null
        const backward = db.iterator({ reverse: true })
        try {
          while (!state.interrupted) {
            const entries = await backward.nextv(CHUNK)
            if (entries.length === 0) break
            for (const [key, value] of entries) {
              if (next !== null && Buffer.compare(key, next) >= 0) {
                problem(`reverse scan: key ${readable(key)} comes before ${readable(next)}: not in strictly decreasing order`)
              }
              next = key
              reverseEntries++
              reverseBytes += key.length + value.length
            }
          }
        } finally {
          await backward.close()
        }
      } catch (err) {
        problem(`reading failed after ${formatCount(report.entries)} entries: ${describeError(err as Error)}`)
      } finally {
        progress.done()
      }
      if (state.interrupted) {
        process.stderr.write(`check interrupted after ${plural(report.entries, 'entry', 'entries')}\n`)
        return EXIT.INTERRUPTED
      }
      if (report.problemCount === 0 &&
          (reverseEntries !== report.entries || reverseBytes !== report.keyBytes + report.valueBytes)) {
        problem(`the reverse scan saw ${formatCount(reverseEntries)} entries (${reverseBytes} bytes), ` +
          `the forward scan ${formatCount(report.entries)} (${report.keyBytes + report.valueBytes} bytes)`)
      }
      report.seconds = progress.elapsed / 1000
      report.ok = report.problemCount === 0
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify(report)}\n`)
      } else {
        process.stdout.write(formatCheck(report))
      }
      return report.ok ? EXIT.OK : EXIT.CHECK_FAILED
    })
  } finally {
    stop()
    process.off('warning', onWarning)
  }
}

function formatCheck (report: CheckReport): string {
  const lines = [
    `database  ${report.database} at ${report.location}`,
    `entries   ${formatCount(report.entries)}`,
    `keys      ${formatBytes(report.keyBytes)}`,
    `values    ${formatBytes(report.valueBytes)}`,
    `total     ${formatBytes(report.keyBytes + report.valueBytes)} (${formatCount(report.keyBytes + report.valueBytes)} bytes)`
  ]
  for (const note of report.notes) lines.push(`note: ${note}`)
  if (report.ok) {
    lines.push(`OK: read every entry forward, in reverse and by key, without errors, in ${report.seconds.toFixed(2)} s`)
  } else {
    lines.push(`FAILED: ${plural(report.problemCount, 'problem')}:`)
    for (const problem of report.problems.slice(0, MAX_PROBLEMS_SHOWN)) lines.push(`  ${problem}`)
    if (report.problemCount > MAX_PROBLEMS_SHOWN) {
      lines.push(`  … and ${formatCount(report.problemCount - MAX_PROBLEMS_SHOWN)} more` +
        (report.problems.length > MAX_PROBLEMS_SHOWN ? ' (see --json)' : ''))
    }
  }
  return lines.map((line) => `${line}\n`).join('')
}

async function runRepair (context: Context): Promise<number> {
  const { location, values } = context
  checkExists(location, values, null)
  let result: SalvageResult
  try {
    result = await SophiaLevel.repair(location, values['log-path'] === undefined ? undefined : { logPath: values['log-path'] })
  } catch (err) {
    throw openError(location, err as Error)
  }
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return EXIT.OK
  }
  if (result.files.length === 0) {
    process.stdout.write(`The write-ahead log of ${path.resolve(location)} has no damage: nothing was dropped.\n`)
    return EXIT.OK
  }
  const lines = [`Repaired the write-ahead log of ${path.resolve(location)}:`]
  for (const file of result.files) {
    lines.push(`  ${file.file}: kept ${formatCount(file.keptBytes)} bytes, dropped ${formatCount(file.droppedBytes)} bytes` +
      (file.savedTo === null ? '' : ` (saved in ${file.savedTo})`) +
      (file.headerRewritten ? ' (its header was rewritten)' : ''))
  }
  lines.push(`Dropped ${formatCount(result.droppedBytes)} bytes in all. Writes after the damage in a file are lost; ` +
    'the files named above hold their bytes.')
  lines.push(`Run 'sophia-level check ${location}' to verify the database.`)
  process.stdout.write(lines.map((line) => `${line}\n`).join(''))
  return EXIT.OK
}
