// Reading, checking and trimming Sophia 2.2's write-ahead log, outside Sophia.
//
// Sophia refuses to open an environment whose log ends in a partial record,
// which is exactly what a crash or a power loss can leave behind, and it
// offers no way to cut such a tail off. This module reads the log the way
// sophia.c reads it (sw_iter.c, the reader behind se_recover_log) to tell a
// torn tail, which is safe to drop, from damage, which needs a decision.
//
// THE FORMAT (as sophia.c writes it; physical line numbers of deps/sophia/sophia.c)
//
// A log is a directory of files named <id>.log (sw_new formats the id as
// %020d; sw_dirread accepts any run of digits and replays the files in
// ascending id order). New writes go to the last file only, and a reopened
// environment keeps appending to it (sw_managerrecover): so only the last
// file can legitimately end inside a write.
//
// File header, 11 bytes (struct srversion, l.14375, written by sw_new):
//   u64 magic 8529643324614668147 (the bytes "sophia_v"), u8 '2', u8 '2', u8 0.
//   The reader checks the magic and the two version bytes, not the third.
//
// Then records, each a 13-byte packed header (struct swv, l.18347) and a
// payload:
//   u32 crc, u32 dsn (database id), u32 size (payload bytes), u8 flags
//   crc = crc32c(crc32c(0, payload), header bytes 4..12)   (sw_writeadd)
// crc32c is the Castagnoli polynomial with no pre- or post-inversion, seeded
// with 0 (ss_crc32c_sw and ss_crc32c_hw compute the same thing). The flags
// are the document's: 0 for a set, 1 (SVDELETE) for a delete, 2 (SVUPSERT)
// for an upsert. The payload is the document in the database's scheme.
//
// A commit with one statement is one such record (sw_writestmt). A commit
// with several is framed (sw_writestmt_multi): a 13-byte transaction header
// with flags = 16 (SVBEGIN), dsn = 0, size = the number of records, and
// crc = crc32c(0, its bytes 4..12) (its checksum covers only itself, since
// it has no payload), followed by exactly that many records. All integers
// are in the host's byte order: little-endian on every platform
// sophia-level supports.
//
// Sophia's reader (sw_iternext_of, l.19220) fails with "bad record size"
// when a header's size reaches past the end of the file, "bad record crc"
// on a checksum mismatch, and "transaction is incomplete" when the file ends
// inside a framed transaction. Recovery replays each transaction as a unit,
// so a torn transaction must be dropped as a whole.
//
// Sophia does not always fail, though, which is why the log should be
// inspected before every open rather than only after a failed one:
// - when the problem is in the first commit of a file (or the file header
//   is wrong), sw_iterprepare's error is dropped by sw_iter_open, and
//   se_recover_log skips the whole file without a word: the environment
//   opens without any of that file's records, and when it is the last file,
//   new writes are appended after the bad bytes and skipped again at every
//   later open;
// - a run of zero bytes at the end replays as a phantom document (an empty
//   key with an empty value, for sophia-level's scheme);
// - the size check ignores the 13 header bytes, so the checksum of a record
//   cut within its last 13 bytes reads past the end of the mapped file.
//
// WHAT THIS MODULE CALLS VALID
//
// A record is valid when its header is plausible for something Sophia wrote
// (flags 0, 1 or 2; database id at most MAX_DATABASE_ID; payload size from
// MIN_DOCUMENT_SIZE to MAX_DOCUMENT_SIZE), its payload lies inside the file,
// and its checksum matches. A transaction is valid when its header is
// plausible (flags exactly 16, dsn 0, at least one record) with a matching
// checksum and all its records are valid records. This is stricter than
// Sophia's reader on purpose: a run of zero bytes is a sequence of records
// with a matching checksum (crc32c of zeros seeded with 0 is 0) and a
// payload of 0 bytes, which Sophia happily replays as a phantom document;
// the size bound rules them out.
//
// For each file, validEnd is the end of the last complete valid record or
// transaction, reading from the file header on; the file is usable up to
// there. What follows validEnd is classified:
//
// - 'none': nothing follows.
// - 'torn': a torn tail. Only the last file can have one, and only when what
//   follows validEnd, once trailing zero bytes are set aside (a file system
//   can extend a file before its data reaches the disk, leaving zeros after
//   a power loss), is one of:
//     (a) nothing at all (the tail is only zeros);
//     (b) the beginning of one record or transaction that the file ends
//         inside of: fewer than 13 bytes of a header; a plausible record
//         header whose payload reaches past the end, with no valid record
//         or transaction header starting anywhere inside that partial payload
//         (if one does, the size field is what is wrong: damage); or a valid
//         transaction header followed by valid records, fewer than it
//         announces, and possibly one of the partial forms above;
//     (c) the same, except that the last record or transaction header is
//         complete, plausible, and ends exactly at the end of the file, but
//         its checksum does not match: the last write did not all reach the
//         disk.
//   A last file shorter than its 11-byte header whose bytes are the start of
//   that header is torn as well (the file was created, its header not
//   written).
// - 'damage': anything else, which means invalid data followed by more data
//   that is not just a torn tail: a record with a bad checksum or an
//   implausible header that is followed by more (non-zero) bytes, a record
//   claiming to extend past the end with valid records inside its claimed
//   span, an invalid file header, and any invalid or incomplete data in a
//   file that is not the last one.
//
// Appended garbage of 13 bytes or more therefore counts as damage unless
// its first 13 bytes happen to form a plausible header (flags 0-2, a
// database id below 65536, a size that makes sense: about 1 in 10^7 for
// random bytes). Appended garbage shorter than 13 bytes cannot be told apart
// from a partial header and counts as torn. A record corrupted anywhere
// counts as torn (c) when it is the very last thing in the file; dropping it
// loses what a crash just before that write would have lost.
//
// WHAT THE REPAIRS DO
//
// Both copy what they remove, byte for byte, to a file next to the log file
// named <log file name>.torn-<time> or .damaged-<time> (Sophia only replays
// names whose extension is exactly "log", and these start with the digits it
// requires of every name in the directory), fsync the copy and the
// directory, then truncate the log file to validEnd and fsync it. When a
// file's header is missing, torn or invalid, the whole original file is
// copied and a fresh header is written, since Sophia cannot open a log file
// shorter than its header and must never be left without a log file (it
// asserts one exists at the first commit, sw_begin). Neither takes the
// database's lock: call them only while no Sophia environment is open on the
// directory.

import { Buffer } from 'buffer'
import * as fs from 'fs'
import * as path from 'path'

// Size of the file header Sophia writes at the start of every log file (srversion).
const FILE_HEADER_SIZE = 11

// Size of a record or transaction header (swv).
const RECORD_HEADER_SIZE = 13

// SVBEGIN, the flag of a transaction header; SVDELETE | SVUPSERT are the
// only flags a record can carry (sw_writeadd copies the document's flags, and
// statements with SVGET are never written).
const BEGIN_FLAG = 16
const MAX_RECORD_FLAGS = 2

// Every scheme gets the meta fields _flags (u8) and _lsn (u64) appended
// (sf_schemevalidate) plus at least one key field of at least one byte, so no
// document Sophia writes is smaller; a zero-filled header announces 0.
const MIN_DOCUMENT_SIZE = 10
// Sophia builds documents with int sizes (sf_writesize).
const MAX_DOCUMENT_SIZE = 0x7fffffff
// Database ids are handed out from 0 in declaration order (se_dbscheme_init);
// no environment declares anywhere near this many, while a random u32 is
// below it only once in 65536 times, which is what makes garbage detectable.
const MAX_DATABASE_ID = 0xffff

// What sw_new writes (sr_version_storage): the magic, '2', '2', 0.
const EXPECTED_FILE_HEADER = Buffer.from([0x73, 0x6f, 0x70, 0x68, 0x69, 0x61, 0x5f, 0x76, 0x32, 0x32, 0x00])

// Bytes read at once. Records larger than this are checksummed in pieces, so
// memory stays bounded whatever the size of a value.
const WINDOW_SIZE = 4 << 20

/** What follows the valid part of a log file. */
export type LogTail = 'none' | 'torn' | 'damage'

export interface LogFileInspection {
  /** Path of the log file. */
  file: string
  /** Its size in bytes. */
  size: number
  /** Whether it starts with the 11-byte header Sophia 2.2 writes. */
  headerValid: boolean
  /**
   * End of the last complete, checksum-valid record or transaction, counted
   * from the start of the file (so at least 11 when the file has a header):
   * what dropTornTail and salvageLog keep. 0 when the file is shorter than
   * its header. When headerValid is false, the records up to validEnd are
   * valid but Sophia would reject the file; salvageLog gives it a fresh header.
   */
  validEnd: number
  /** Complete valid records (statements) before validEnd. */
  records: number
  /** Complete valid commits (single records and framed transactions) before validEnd. */
  transactions: number
  /** What follows validEnd (see the rules at the top of write-ahead-log.ts). */
  tail: LogTail
  /** Where the first invalid or incomplete piece starts (0 for a bad file header); null when tail is 'none'. */
  problemOffset: number | null
  /** Why, in words; null when tail is 'none'. */
  problem: string | null
  /**
   * For damage: where the next valid record or transaction header after the
   * problem starts, if any (evidence that data follows the damage, and what
   * salvageLog gives up, as it keeps only what precedes the first damage).
   */
  resumesAt: number | null
}

export interface LogInspection {
  /** The directory inspected. */
  directory: string
  /** The log files, in the order Sophia replays them; empty when the directory does not exist. */
  files: LogFileInspection[]
  /**
   * 'clean' when every file is valid to its end; 'torn-tail' when only the
   * last file has a torn tail (dropTornTail repairs it); 'damaged' when any
   * file has damage (salvageLog keeps what precedes it).
   */
  status: 'clean' | 'torn-tail' | 'damaged'
}

export interface TrimmedLogFile {
  /** Path of the log file. */
  file: string
  /** Bytes of the original file that remain, from its start (its validEnd). */
  keptBytes: number
  /** Bytes removed from its end (original size minus keptBytes). */
  droppedBytes: number
  /** Where the removed bytes were copied; null when there were none (an empty last file). */
  savedTo: string | null
  /**
   * Offset in the original file of the first byte copied to savedTo: keptBytes,
   * or 0 when the header was rewritten, in which case the whole original file
   * was copied.
   */
  savedFrom: number
  /**
   * Whether a fresh 11-byte header was written over the start of the file
   * because the original was shorter than its header or had an invalid one;
   * the file is then max(keptBytes, 11) bytes long.
   */
  headerRewritten: boolean
}

export interface SalvageResult {
  /** The log files changed, in replay order. */
  files: TrimmedLogFile[]
  /** Total bytes removed from the log. */
  droppedBytes: number
  /** The files holding copies of what was removed. */
  savedTo: string[]
}

/** Checks every log file in logDirectory (normally `<location>/log`); changes nothing. */
export async function inspectLog (logDirectory: string): Promise<LogInspection> {
  const names = await listLogFiles(logDirectory)
  const files: LogFileInspection[] = []
  for (let i = 0; i < names.length; i++) {
    files.push(await inspectFile(path.join(logDirectory, names[i]), i === names.length - 1))
  }
  let status: LogInspection['status'] = 'clean'
  if (files.some((file) => file.tail === 'damage')) status = 'damaged'
  else if (files.some((file) => file.tail === 'torn')) status = 'torn-tail'
  return { directory: logDirectory, files, status }
}

/**
 * If the log's only problem is a torn tail in its last file, cuts it off
 * (keeping a copy) and returns what was done; otherwise changes nothing and
 * returns null, also when there is damage anywhere in the log. Pass an
 * inspection of this directory just made by inspectLog to save reading the
 * log twice (the copy still covers the file up to its current end).
 */
export async function dropTornTail (logDirectory: string, inspection?: LogInspection): Promise<TrimmedLogFile | null> {
  inspection ??= await inspectLog(logDirectory)
  if (inspection.status !== 'torn-tail') return null
  const last = inspection.files[inspection.files.length - 1]
  return trimFile(last, 'torn')
}

/**
 * Makes the log replayable with what can be saved: every file with a torn
 * tail or damage is cut back to its validEnd (keeping a copy of what is
 * removed), and gets a fresh header if its own is missing or invalid. Valid
 * records after the first damage in a file are removed with it (they are in
 * the copy); later files are kept whole when valid. An inspection may be
 * passed as for dropTornTail.
 */
export async function salvageLog (logDirectory: string, inspection?: LogInspection): Promise<SalvageResult> {
  inspection ??= await inspectLog(logDirectory)
  const files: TrimmedLogFile[] = []
  for (const file of inspection.files) {
    if (file.tail === 'none' && file.headerValid) continue
    files.push(await trimFile(file, file.tail === 'torn' ? 'torn' : 'damaged'))
  }
  return {
    files,
    droppedBytes: files.reduce((sum, file) => sum + file.droppedBytes, 0),
    savedTo: files.flatMap((file) => (file.savedTo === null ? [] : [file.savedTo]))
  }
}

// The names Sophia replays, in its order. sw_dirread skips names starting
// with a dot and takes the digits before the first dot as the id and what
// follows it as the extension, which must be "log".
async function listLogFiles (directory: string): Promise<string[]> {
  let names: string[]
  try {
    names = await fs.promises.readdir(directory)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return names
    .filter((name) => /^[0-9]+\.log$/.test(name))
    .map((name) => ({ name, id: BigInt(name.slice(0, name.indexOf('.'))) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((entry) => entry.name)
}

async function inspectFile (file: string, isLast: boolean): Promise<LogFileInspection> {
  const handle = await fs.promises.open(file, 'r')
  try {
    const { size } = await handle.stat()
    return await classify(file, new Reader(handle, size), isLast)
  } finally {
    await handle.close()
  }
}

async function classify (file: string, reader: Reader, isLast: boolean): Promise<LogFileInspection> {
  const size = reader.size
  const result: LogFileInspection = {
    file,
    size,
    headerValid: false,
    validEnd: 0,
    records: 0,
    transactions: 0,
    tail: 'none',
    problemOffset: null,
    problem: null,
    resumesAt: null
  }

  if (size < FILE_HEADER_SIZE) {
    // sw_new creates the file and then writes its header: a crash in between
    // leaves a short (often empty) last file, which Sophia refuses ("bad size").
    const head = await reader.bytes(0, size)
    const isHeaderStart = head.equals(EXPECTED_FILE_HEADER.subarray(0, size))
    result.tail = isLast && isHeaderStart ? 'torn' : 'damage'
    result.problemOffset = 0
    result.problem = `the file ends inside its ${FILE_HEADER_SIZE}-byte header (${size} bytes)` +
      (isHeaderStart ? '' : ', which are not the start of a Sophia log header') +
      (isLast ? '' : ', and it is not the last log file')
    return result
  }

  const header = await reader.bytes(0, FILE_HEADER_SIZE)
  // The reader checks the magic and two version bytes, not the third (sr_versionstorage_check).
  result.headerValid = header.subarray(0, 10).equals(EXPECTED_FILE_HEADER.subarray(0, 10))

  let position = FILE_HEADER_SIZE
  let failure: Failure | null = null
  while (position < size) {
    const piece = await readCommit(reader, position, size)
    if (piece.kind !== 'complete') {
      failure = piece
      break
    }
    position = piece.end
    result.records += piece.records
    result.transactions++
  }
  result.validEnd = position

  if (!result.headerValid) {
    // Sophia skips such a file entirely (or, at exactly 11 bytes, does not
    // look at the header at all): either way nothing in it can be replayed
    // as it is. Say so first, and where the records stop being valid, which
    // is what a salvage keeps under a fresh header.
    result.tail = 'damage'
    result.problemOffset = 0
    result.problem = 'the file header is not the one Sophia 2.2 writes' +
      (failure === null ? '' : `; besides, ${describe(failure)}`)
    return result
  }
  if (failure === null) return result

  result.problemOffset = failure.at
  result.problem = describe(failure)

  if (!isLast) {
    result.tail = 'damage'
    if (failure.kind === 'incomplete') result.problem += ', in a log file that is not the last one'
    result.resumesAt = await findNextValid(reader, failure.at + 1, size)
    return result
  }

  // Set trailing zeros aside and look at the tail again: what remains must be
  // the start of one commit, or one whose last piece is complete but wrong.
  const zerosFrom = await trailingZerosStart(reader, result.validEnd)
  if (zerosFrom === result.validEnd) {
    result.tail = 'torn'
    result.problemOffset = result.validEnd
    result.problem = `offset ${result.validEnd}: only zero bytes follow (${size - result.validEnd})`
    return result
  }
  const tail = zerosFrom === size ? failure : await readCommit(reader, result.validEnd, zerosFrom)
  const zerosNote = zerosFrom === size ? '' : ` (followed by ${size - zerosFrom} zero bytes)`
  if (tail.kind === 'incomplete') {
    const resumesAt = tail.payloadFrom === null ? null : await findNextValid(reader, tail.payloadFrom, zerosFrom)
    if (resumesAt === null) {
      result.tail = 'torn'
      result.problemOffset = tail.at
      result.problem = describe(tail) + zerosNote
      return result
    }
    result.tail = 'damage'
    result.problemOffset = tail.at
    result.problem = `${describe(tail)}; yet a valid record starts at ${resumesAt}, inside the span it claims: its size is wrong`
    result.resumesAt = resumesAt
    return result
  }
  if (tail.kind === 'invalid' && tail.declaredEnd === zerosFrom) {
    result.tail = 'torn'
    result.problemOffset = tail.at
    result.problem = `${describe(tail)}, the last thing in the file${zerosNote}`
    return result
  }
  result.tail = 'damage'
  result.resumesAt = await findNextValid(reader, failure.at + 1, size)
  return result
}

interface Complete {
  kind: 'complete'
  /** Offset just past the commit. */
  end: number
  /** Records in it. */
  records: number
}

interface Incomplete {
  kind: 'incomplete'
  /** Offset of the header the file ends inside of, or of the missing record. */
  at: number
  /** Which record of which transaction, when inside one. */
  context: string | null
  reason: string
  /**
   * Where the partial payload starts, when the file ends inside a record's
   * payload; that span is searched for valid records before calling it torn.
   */
  payloadFrom: number | null
}

interface Invalid {
  kind: 'invalid'
  /** Offset of the offending header. */
  at: number
  /** Which record of which transaction, when inside one. */
  context: string | null
  reason: string
  /**
   * Where the header says its record (or itself, for a transaction header)
   * ends, when the header is plausible and only the checksum is wrong; null
   * when the header itself is implausible.
   */
  declaredEnd: number | null
}

type Failure = Incomplete | Invalid

function describe (failure: Failure): string {
  return `offset ${failure.at}${failure.context === null ? '' : ` (${failure.context})`}: ${failure.reason}`
}

interface RecordHeader {
  crc: number
  dsn: number
  size: number
  flags: number
}

function decodeHeader (bytes: Buffer): RecordHeader {
  return { crc: bytes.readUInt32LE(0), dsn: bytes.readUInt32LE(4), size: bytes.readUInt32LE(8), flags: bytes[12] }
}

// Reads one commit (a single record or a framed transaction) starting at
// `at`, treating `end` as the end of the file.
async function readCommit (reader: Reader, at: number, end: number): Promise<Complete | Failure> {
  if (end - at < RECORD_HEADER_SIZE) return partialHeader(at, end, null)
  const bytes = await reader.bytes(at, RECORD_HEADER_SIZE)
  const header = decodeHeader(bytes)
  if ((header.flags & BEGIN_FLAG) === 0) return readRecord(reader, at, end, null)

  const implausible = transactionHeaderProblem(header)
  if (implausible !== null) {
    return { kind: 'invalid', at, context: null, reason: `transaction header with ${implausible}`, declaredEnd: null }
  }
  if (crc32c(0, bytes.subarray(4)) !== header.crc) {
    return { kind: 'invalid', at, context: null, reason: 'transaction header with a bad checksum', declaredEnd: at + RECORD_HEADER_SIZE }
  }
  const count = header.size
  let position = at + RECORD_HEADER_SIZE
  for (let i = 0; i < count; i++) {
    const context = `record ${i + 1} of ${count} of the transaction at offset ${at}`
    if (position === end) {
      return { kind: 'incomplete', at: position, context, reason: 'the file ends where this record should start', payloadFrom: null }
    }
    const record = await readRecord(reader, position, end, context)
    if (record.kind !== 'complete') return record
    position = record.end
  }
  return { kind: 'complete', end: position, records: count }
}

async function readRecord (reader: Reader, at: number, end: number, context: string | null): Promise<Complete | Failure> {
  if (end - at < RECORD_HEADER_SIZE) return partialHeader(at, end, context)
  const bytes = await reader.bytes(at, RECORD_HEADER_SIZE)
  const header = decodeHeader(bytes)
  const implausible = recordHeaderProblem(header)
  if (implausible !== null) return { kind: 'invalid', at, context, reason: `record header with ${implausible}`, declaredEnd: null }
  const recordEnd = at + RECORD_HEADER_SIZE + header.size
  if (recordEnd > end) {
    return {
      kind: 'incomplete',
      at,
      context,
      reason: `record of ${RECORD_HEADER_SIZE + header.size} bytes, only ${end - at} of them in the file`,
      payloadFrom: at + RECORD_HEADER_SIZE
    }
  }
  if (await recordChecksum(reader, at, bytes, header.size) !== header.crc) {
    return { kind: 'invalid', at, context, reason: `record of ${RECORD_HEADER_SIZE + header.size} bytes with a bad checksum`, declaredEnd: recordEnd }
  }
  return { kind: 'complete', end: recordEnd, records: 1 }
}

function partialHeader (at: number, end: number, context: string | null): Incomplete {
  return { kind: 'incomplete', at, context, reason: `header cut short (${end - at} of ${RECORD_HEADER_SIZE} bytes)`, payloadFrom: null }
}

// Both return what makes a header implausible for something Sophia wrote, or null.
function recordHeaderProblem (header: RecordHeader): string | null {
  if ((header.flags & BEGIN_FLAG) !== 0) return 'the transaction flag, inside a transaction'
  if (header.flags > MAX_RECORD_FLAGS) return `flags ${header.flags}`
  if (header.dsn > MAX_DATABASE_ID) return `database id ${header.dsn}`
  if (header.size < MIN_DOCUMENT_SIZE || header.size > MAX_DOCUMENT_SIZE) return `payload size ${header.size}`
  return null
}

function transactionHeaderProblem (header: RecordHeader): string | null {
  if (header.flags !== BEGIN_FLAG) return `flags ${header.flags}`
  if (header.dsn !== 0) return `database id ${header.dsn}`
  if (header.size === 0) return 'no records'
  return null
}

async function recordChecksum (reader: Reader, at: number, header: Buffer, size: number): Promise<number> {
  const payloadCrc = await reader.crc(at + RECORD_HEADER_SIZE, size)
  return crc32c(payloadCrc, header.subarray(4, RECORD_HEADER_SIZE))
}

// The first offset in [from, end) where a valid record or a transaction
// header with a matching checksum starts, or null. Used to tell a torn
// record (nothing valid inside its partial payload) from a corrupt size field
// (the records that follow it are still there). Scans a window at a time and
// rejects most offsets on the flags and database id bytes alone, since the
// span can be a whole file of garbage.
async function findNextValid (reader: Reader, from: number, end: number): Promise<number | null> {
  let at = from
  while (at + RECORD_HEADER_SIZE <= end) {
    const windowEnd = Math.min(end, at + WINDOW_SIZE)
    const view = await reader.bytes(at, windowEnd - at)
    const last = view.length - RECORD_HEADER_SIZE
    for (let i = 0; i <= last; i++) {
      const flags = view[i + 12]
      if (flags > MAX_RECORD_FLAGS && flags !== BEGIN_FLAG) continue
      if (view.readUInt32LE(i + 4) > MAX_DATABASE_ID) continue
      const bytes = view.subarray(i, i + RECORD_HEADER_SIZE)
      const header = decodeHeader(bytes)
      if (flags === BEGIN_FLAG) {
        if (transactionHeaderProblem(header) === null && crc32c(0, bytes.subarray(4)) === header.crc) return at + i
        continue
      }
      if (recordHeaderProblem(header) !== null) continue
      if (at + i + RECORD_HEADER_SIZE + header.size > end) continue
      if (await recordChecksum(reader, at + i, bytes, header.size) === header.crc) return at + i
    }
    at += last + 1
  }
  return null
}

// Where the run of zero bytes ending the file starts, but not before `from`.
async function trailingZerosStart (reader: Reader, from: number): Promise<number> {
  let end = reader.size
  while (end > from) {
    const start = Math.max(from, end - WINDOW_SIZE)
    const bytes = await reader.bytes(start, end - start)
    for (let i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] !== 0) return start + i + 1
    }
    end = start
  }
  return from
}

// Reads a file through a window of WINDOW_SIZE bytes, so that walking
// millions of small records costs a read per window rather than per record.
class Reader {
  #handle: fs.promises.FileHandle
  #window: Buffer = Buffer.alloc(0)
  #windowStart = 0
  readonly size: number

  constructor (handle: fs.promises.FileHandle, size: number) {
    this.#handle = handle
    this.size = size
  }

  // Bytes [at, at + length), at most WINDOW_SIZE of them. Each refill gets a
  // new buffer, so views handed out earlier stay valid.
  async bytes (at: number, length: number): Promise<Buffer> {
    const offset = at - this.#windowStart
    if (offset >= 0 && offset + length <= this.#window.length) return this.#window.subarray(offset, offset + length)
    const wanted = Math.min(Math.max(WINDOW_SIZE, length), this.size - at)
    const buffer = Buffer.allocUnsafe(wanted)
    let filled = 0
    while (filled < wanted) {
      const { bytesRead } = await this.#handle.read(buffer, filled, wanted - filled, at + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    if (filled < length) throw new Error(`Log file shrank while being read (wanted bytes ${at}-${at + length})`)
    this.#window = buffer.subarray(0, filled)
    this.#windowStart = at
    return this.#window.subarray(0, length)
  }

  // crc32c of bytes [at, at + length), seeded with 0, in window-sized pieces.
  async crc (at: number, length: number): Promise<number> {
    let crc = 0
    for (let done = 0; done < length;) {
      const piece = Math.min(WINDOW_SIZE, length - done)
      crc = crc32c(crc, await this.bytes(at + done, piece))
      done += piece
    }
    return crc
  }
}

async function trimFile (file: LogFileInspection, kind: 'torn' | 'damaged'): Promise<TrimmedLogFile> {
  const rewriteHeader = !file.headerValid
  const keep = file.validEnd
  const handle = await fs.promises.open(file.file, 'r+')
  try {
    // Re-read the size: the copy must hold every byte removed, even if the
    // file changed since it was inspected.
    const { size } = await handle.stat()
    const savedFrom = rewriteHeader ? 0 : keep
    let savedTo: string | null = null
    if (size > savedFrom) savedTo = await saveAside(handle, file.file, savedFrom, size, kind)
    if (rewriteHeader) {
      await handle.write(EXPECTED_FILE_HEADER, 0, FILE_HEADER_SIZE, 0)
    }
    await handle.truncate(Math.max(keep, rewriteHeader ? FILE_HEADER_SIZE : 0))
    await handle.sync()
    return { file: file.file, keptBytes: keep, droppedBytes: size - keep, savedTo, savedFrom, headerRewritten: rewriteHeader }
  } finally {
    await handle.close()
  }
}

// Copies bytes [from, to) of the log file to a new file beside it and makes
// the copy durable before the caller cuts anything: if we crash in between,
// the bytes exist twice rather than not at all.
async function saveAside (source: fs.promises.FileHandle, file: string, from: number, to: number, kind: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '')
  let target = `${file}.${kind}-${stamp}`
  let copy: fs.promises.FileHandle | null = null
  for (let attempt = 2; copy === null; attempt++) {
    try {
      copy = await fs.promises.open(target, 'wx')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      target = `${file}.${kind}-${stamp}-${attempt}`
    }
  }
  try {
    const buffer = Buffer.allocUnsafe(Math.min(WINDOW_SIZE, to - from))
    for (let position = from; position < to;) {
      const { bytesRead } = await source.read(buffer, 0, Math.min(buffer.length, to - position), position)
      if (bytesRead === 0) throw new Error(`${file} shrank while being copied aside`)
      await copy.write(buffer, 0, bytesRead)
      position += bytesRead
    }
    await copy.sync()
  } finally {
    await copy.close()
  }
  await syncDirectory(path.dirname(file))
  return target
}

// A new file's name is durable only once its directory is synced.
async function syncDirectory (directory: string): Promise<void> {
  const handle = await fs.promises.open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

// crc32c (Castagnoli, reflected polynomial 0x82f63b78) without the usual
// pre- and post-inversion, as Sophia computes it; slicing by 8, which runs at
// roughly 1 GB/s in V8, so checking a log costs little next to replaying it.
const CRC_TABLE = makeCrcTable()

function makeCrcTable (): Int32Array {
  const table = new Int32Array(256 * 8)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n]
    for (let k = 1; k < 8; k++) {
      c = table[c & 0xff] ^ (c >>> 8)
      table[k * 256 + n] = c
    }
  }
  return table
}

function crc32c (crc: number, bytes: Uint8Array): number {
  const t = CRC_TABLE
  const length = bytes.length
  const whole = length - (length % 8)
  let c = crc
  let i = 0
  for (; i < whole; i += 8) {
    const low = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))
    c = t[1792 + (low & 0xff)] ^ t[1536 + ((low >>> 8) & 0xff)] ^ t[1280 + ((low >>> 16) & 0xff)] ^
      t[1024 + (low >>> 24)] ^ t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]]
  }
  for (; i < length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return c >>> 0
}
