'use strict'

// write-ahead-log.ts against real logs written through SophiaLevel: a log
// cut at any offset is a torn tail that dropTornTail turns back into a log
// Sophia opens with exactly the commits before the cut; corruption followed
// by more data is damage, which dropTornTail leaves alone and salvageLog
// trims to what precedes it. Every byte removed must be found, unchanged,
// in the copy set aside.

const test = require('tape')
const fs = require('fs')
const path = require('path')
const { SophiaLevel, SophiaEnv } = require('..')
const { inspectLog, dropTornTail, salvageLog } = require('../dist/write-ahead-log')
const { tempLocation } = require('./common')

const FILE_HEADER = Buffer.from('sophia_v22\0', 'latin1')
const FIRST_LOG = '00000000000000000001.log'
const SECOND_LOG = '00000000000000000002.log'

// A small deterministic generator (mulberry32), so that a failure names
// offsets that are the same on every run.
function random (seed) {
  return function () {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// A mix of puts, deletes and batches of 2 to 5 distinct keys (each a framed
// transaction in the log), over a small key space so that later writes
// overwrite and delete earlier ones. Ends with a few small commits of each
// kind, whose every byte offset the cut test tries.
function makeWrites (count, seed) {
  const next = random(seed)
  const key = () => 'k' + Math.floor(next() * 30)
  const value = () => 'v'.repeat(Math.floor(next() * 40)) + Math.floor(next() * 1000)
  const writes = []
  for (let i = 0; i < count; i++) {
    const r = next()
    if (r < 0.5) writes.push({ type: 'put', key: key(), value: value() })
    else if (r < 0.65) writes.push({ type: 'del', key: key() })
    else {
      const keys = new Set()
      const size = 2 + Math.floor(next() * 4)
      while (keys.size < size) keys.add(key())
      writes.push({
        type: 'batch',
        operations: [...keys].map((k) => (next() < 0.75 ? { type: 'put', key: k, value: value() } : { type: 'del', key: k }))
      })
    }
  }
  // One value spanning several pages, then the small commits at the end.
  writes.splice(Math.floor(count / 2), 0, { type: 'put', key: 'large', value: 'L'.repeat(9000) })
  writes.push({ type: 'put', key: 'k1', value: 'tail-1' })
  writes.push({ type: 'batch', operations: [{ type: 'put', key: 'k2', value: 'tail-2' }, { type: 'del', key: 'k3' }, { type: 'put', key: 'k4', value: '' }] })
  writes.push({ type: 'del', key: 'k5' })
  writes.push({ type: 'batch', operations: [{ type: 'put', key: 'k6', value: 'tail-6' }, { type: 'put', key: 'k7', value: 'tail-7' }] })
  return writes
}

function applyWrites (state, writes) {
  for (const write of writes) {
    for (const op of write.type === 'batch' ? write.operations : [write]) {
      if (op.type === 'put') state.set(op.key, op.value)
      else state.delete(op.key)
    }
  }
  return state
}

function sorted (state) {
  return [...state].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

async function write (db, w) {
  if (w.type === 'batch') await db.batch(w.operations)
  else if (w.type === 'put') await db.put(w.key, w.value)
  else await db.del(w.key)
}

// Writes through SophiaLevel and notes the size of logFile after each write:
// a write is in the log before its promise resolves, so these sizes are the
// commit boundaries.
async function writeAll (location, writes, logFile) {
  const db = new SophiaLevel(location)
  await db.open()
  const ends = []
  for (const w of writes) {
    await write(db, w)
    ends.push(fs.statSync(path.join(location, 'log', logFile)).size)
  }
  await db.close()
  return ends
}

async function readAll (location) {
  const db = new SophiaLevel(location)
  await db.open()
  try {
    return await db.iterator().all()
  } finally {
    await db.close()
  }
}

// Runs fn over items, four at a time (most of a check is spent waiting for
// Sophia's threads to stop at close), and resolves with the results in order.
async function inPool (items, fn) {
  const results = new Array(items.length)
  let next = 0
  async function worker () {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i])
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  return results
}

function copyOf (location) {
  const copy = tempLocation()
  fs.cpSync(location, copy, { recursive: true })
  return copy
}

let single = null

// One log file: commit i (writes[i]) spans [starts[i], ends[i]), the first
// starting at 11, after the file header.
async function singleFileFixture () {
  if (single !== null) return single
  const location = tempLocation()
  const writes = makeWrites(60, 7)
  const ends = await writeAll(location, writes, FIRST_LOG)
  const bytes = fs.readFileSync(path.join(location, 'log', FIRST_LOG))
  single = { location, writes, starts: [FILE_HEADER.length, ...ends.slice(0, -1)], ends, bytes }
  return single
}

// The commits entirely before `offset`.
function committedBefore (fixture, offset) {
  let n = 0
  while (n < fixture.ends.length && fixture.ends[n] <= offset) n++
  return n
}

function savedCopyProblems (result, expected) {
  const problems = []
  if (!result || typeof result.savedTo !== 'string') return ['no copy set aside']
  if (path.dirname(result.savedTo) !== path.dirname(result.file)) problems.push(`copy in ${path.dirname(result.savedTo)}`)
  if (/\.log$/.test(result.savedTo)) problems.push(`copy named ${path.basename(result.savedTo)}, which Sophia would replay`)
  if (!fs.readFileSync(result.savedTo).equals(expected)) problems.push('copy differs from the bytes removed')
  return problems
}

// Cuts a copy of the fixture's log at `cut` and checks everything about it;
// returns what is wrong, an empty array when nothing is.
async function cutProblems (fixture, cut, writeAfter) {
  const problems = []
  const location = copyOf(fixture.location)
  const logDirectory = path.join(location, 'log')
  const log = path.join(logDirectory, FIRST_LOG)
  fs.truncateSync(log, cut)
  const n = committedBefore(fixture, cut)
  const kept = n === 0 ? FILE_HEADER.length : fixture.ends[n - 1]
  const boundary = kept === cut

  const inspection = await inspectLog(logDirectory)
  const file = inspection.files[0]
  if (inspection.status !== (boundary ? 'clean' : 'torn-tail')) problems.push(`status ${inspection.status}: ${file.problem}`)
  if (file.validEnd !== kept) problems.push(`validEnd ${file.validEnd}, expected ${kept}`)
  if (file.tail !== (boundary ? 'none' : 'torn')) problems.push(`tail ${file.tail}`)
  if (file.transactions !== n) problems.push(`${file.transactions} transactions, expected ${n}`)

  const dropped = await dropTornTail(logDirectory)
  if (boundary) {
    if (dropped !== null) problems.push('dropTornTail acted at a boundary')
  } else if (dropped === null) {
    problems.push('dropTornTail did nothing')
  } else {
    if (dropped.keptBytes !== kept || dropped.droppedBytes !== cut - kept) problems.push(`kept ${dropped.keptBytes}, dropped ${dropped.droppedBytes}`)
    problems.push(...savedCopyProblems(dropped, fixture.bytes.subarray(kept, cut)))
  }
  if (fs.statSync(log).size !== kept) problems.push(`log is ${fs.statSync(log).size} bytes, expected ${kept}`)
  if ((await inspectLog(logDirectory)).status !== 'clean') problems.push('not clean after dropTornTail')

  // Every commit before the cut, entirely (batches included), and nothing after.
  const expected = sorted(applyWrites(new Map(), fixture.writes.slice(0, n)))
  let actual
  try {
    actual = await readAll(location)
  } catch (err) {
    problems.push(`open failed: ${err.cause ? err.cause.message : err.message}`)
    return problems
  }
  if (JSON.stringify(actual) !== JSON.stringify(expected)) problems.push('database content differs from the commits before the cut')

  // A log cut inside its first commit is silently skipped by Sophia, along
  // with whatever is appended after the garbage: check that new writes land.
  if (writeAfter) {
    const db = new SophiaLevel(location)
    await db.open()
    await db.put('after', String(cut))
    await db.close()
    const reread = await readAll(location)
    const want = sorted(new Map([...expected, ['after', String(cut)]]))
    if (JSON.stringify(reread) !== JSON.stringify(want)) problems.push('a write after the repair did not survive reopening')
  }
  fs.rmSync(location, { recursive: true, force: true })
  return problems
}

test('write-ahead log: opening drops a torn tail by itself, with a warning', async function (t) {
  const fixture = await singleFileFixture()
  t.ok(fixture.ends.every((end, i) => end > fixture.starts[i]), 'every write added a commit to the log')
  t.is(fixture.ends[fixture.ends.length - 1], fixture.bytes.length, 'and nothing else did')
  const last = fixture.starts.length - 1
  const warnings = []
  const onWarning = (warning) => { if (warning.code === 'SOPHIA_TORN_LOG_TAIL') warnings.push(warning.message) }
  process.on('warning', onWarning)
  t.teardown(() => process.removeListener('warning', onWarning))
  for (const cut of [fixture.bytes.length - 1, fixture.bytes.length - 7, fixture.starts[last] + 5, fixture.starts[last - 1] + 20]) {
    const location = copyOf(fixture.location)
    fs.truncateSync(path.join(location, 'log', FIRST_LOG), cut)
    const kept = fixture.ends.filter((end) => end <= cut).length
    const db = new SophiaLevel(location)
    await db.open()
    await db.close()
    t.same(await readAll(location), sorted(applyWrites(new Map(), fixture.writes.slice(0, kept))), `cut at ${cut}: opens with the ${kept} commits before it`)
    t.ok(fs.readdirSync(path.join(location, 'log')).some((name) => name.includes('.torn-')), 'the dropped bytes are kept beside the log')
  }
  await new Promise((resolve) => setImmediate(resolve))
  t.is(warnings.length, 4, `warned each time: ${warnings[0]}`)
})

test('write-ahead log: a cut at any offset of the last commits is a torn tail dropTornTail repairs', async function (t) {
  const fixture = await singleFileFixture()
  const from = fixture.starts[fixture.starts.length - 4]
  t.ok(fixture.writes.slice(-4).some((w) => w.type === 'batch'), 'the last commits include batches')
  const cuts = []
  for (let cut = from; cut <= fixture.bytes.length; cut++) cuts.push(cut)
  const results = await inPool(cuts, (cut) => cutProblems(fixture, cut, cut % 9 === 0))
  cuts.forEach((cut, i) => t.same(results[i], [], `cut at ${cut} of ${fixture.bytes.length}`))
})

test('write-ahead log: cuts inside the first commit and across the whole file', async function (t) {
  const fixture = await singleFileFixture()
  const next = random(42)
  const cuts = new Set([FILE_HEADER.length, fixture.starts[1]])
  for (let cut = FILE_HEADER.length + 1; cut < fixture.ends[0]; cut += 3) cuts.add(cut)
  const large = fixture.writes.findIndex((w) => w.key === 'large')
  for (const cut of [fixture.starts[large] + 6, fixture.starts[large] + 4096, fixture.ends[large] - 1]) cuts.add(cut)
  while (cuts.size < 60) cuts.add(FILE_HEADER.length + Math.floor(next() * (fixture.bytes.length - FILE_HEADER.length)))
  const sortedCuts = [...cuts].sort((a, b) => a - b)
  const results = await inPool(sortedCuts, (cut) => cutProblems(fixture, cut, cut < fixture.ends[0] || cut % 5 === 0))
  sortedCuts.forEach((cut, i) => t.same(results[i], [], `cut at ${cut} of ${fixture.bytes.length}`))
})

// Sets up a copy whose log has been altered by `alter(bytes)` (returning the
// new bytes), and checks the classification and both repairs. `keep` is the
// number of commits expected to survive the salvage (or the repair, for a
// torn tail).
async function checkAltered (t, name, alter, { tail, keep, problemOffset, resumesAt }) {
  const fixture = await singleFileFixture()
  const location = copyOf(fixture.location)
  const logDirectory = path.join(location, 'log')
  const log = path.join(logDirectory, FIRST_LOG)
  const altered = alter(Buffer.from(fixture.bytes))
  fs.writeFileSync(log, altered)
  const validEnd = keep === 0 ? FILE_HEADER.length : fixture.ends[keep - 1]

  const inspection = await inspectLog(logDirectory)
  const file = inspection.files[0]
  t.is(file.tail, tail, `${name}: classified as ${tail} (${file.problem})`)
  t.is(file.validEnd, validEnd, `${name}: valid up to ${validEnd}`)
  if (problemOffset !== undefined) t.is(file.problemOffset, problemOffset, `${name}: problem at ${problemOffset}`)
  if (resumesAt !== undefined) t.is(file.resumesAt, resumesAt, `${name}: valid records resume at ${resumesAt}`)

  const dropped = await dropTornTail(logDirectory)
  if (tail === 'damage') {
    t.is(dropped, null, `${name}: dropTornTail refuses`)
    t.ok(fs.readFileSync(log).equals(altered), `${name}: the log is untouched`)
    t.same(fs.readdirSync(logDirectory), [FIRST_LOG], `${name}: nothing set aside`)
    const salvage = await salvageLog(logDirectory)
    t.is(salvage.files.length, 1, `${name}: salvage trims one file`)
    t.is(salvage.droppedBytes, altered.length - validEnd, `${name}: salvage drops ${altered.length - validEnd} bytes`)
    const trimmed = salvage.files[0]
    t.is(trimmed.savedFrom, trimmed.headerRewritten ? 0 : validEnd, `${name}: set aside from ${trimmed.savedFrom}`)
    t.same(savedCopyProblems(trimmed, altered.subarray(trimmed.savedFrom)), [], `${name}: what salvage dropped is set aside`)
  } else {
    t.ok(dropped !== null && dropped.keptBytes === validEnd, `${name}: dropTornTail keeps ${validEnd} bytes`)
    t.same(savedCopyProblems(dropped, altered.subarray(validEnd)), [], `${name}: what it dropped is set aside`)
    t.same(await salvageLog(logDirectory), { files: [], droppedBytes: 0, savedTo: [] }, `${name}: nothing left to salvage`)
  }
  t.is((await inspectLog(logDirectory)).status, 'clean', `${name}: clean afterwards`)
  const expected = sorted(applyWrites(new Map(), fixture.writes.slice(0, keep)))
  t.same(await readAll(location), expected, `${name}: opens with the ${keep} commits before the problem`)
  fs.rmSync(location, { recursive: true, force: true })
}

function flip (offset) {
  return (bytes) => {
    bytes[offset] ^= 0x5a
    return bytes
  }
}

test('write-ahead log: damage in the middle', async function (t) {
  const fixture = await singleFileFixture()
  const { starts, ends, writes } = fixture
  const put = writes.findIndex((w, i) => i > 10 && w.type === 'put')
  const batch = writes.findIndex((w, i) => i > 10 && w.type === 'batch')
  const del = writes.findIndex((w, i) => i > 10 && w.type === 'del')
  const middle = Math.floor((starts[put] + ends[put]) / 2)

  await checkAltered(t, 'byte flipped in a put', flip(middle), { tail: 'damage', keep: put, problemOffset: starts[put], resumesAt: ends[put] })
  await checkAltered(t, 'byte flipped in a delete header', flip(starts[del] + 5), { tail: 'damage', keep: del, problemOffset: starts[del], resumesAt: ends[del] })
  // The second record of a batch: the whole transaction goes, although its
  // other records are valid (the first valid one after the damage is its third).
  const recordEnd = (at) => at + 13 + fixture.bytes.readUInt32LE(at + 8)
  const second = recordEnd(starts[batch] + 13)
  await checkAltered(t, 'byte flipped in a batch\'s second record', flip(second + 20), {
    tail: 'damage', keep: batch, problemOffset: second, resumesAt: recordEnd(second)
  })
  await checkAltered(t, 'batch header flipped', flip(starts[batch] + 8), { tail: 'damage', keep: batch, problemOffset: starts[batch] })
  // A size field grown past the end of the file looks like a torn record,
  // but the records that follow are found inside the span it claims.
  await checkAltered(t, 'size field grown past the end', flip(starts[put] + 11), { tail: 'damage', keep: put, problemOffset: starts[put], resumesAt: ends[put] })
  await checkAltered(t, 'byte flipped in the large value', flip(starts[writes.findIndex((w) => w.key === 'large')] + 5000), {
    tail: 'damage', keep: writes.findIndex((w) => w.key === 'large')
  })
  await checkAltered(t, 'byte flipped in the first commit', flip(starts[0] + 14), { tail: 'damage', keep: 0 })
})

test('write-ahead log: garbage, zeros and a bad last record at the end', async function (t) {
  const fixture = await singleFileFixture()
  const all = fixture.writes.length
  const next = random(3)
  const garbage = (length) => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)))
  const append = (extra) => (bytes) => Buffer.concat([bytes, extra])
  const end = fixture.bytes.length

  for (const length of [13, 26, 100, 300, 5000]) {
    await checkAltered(t, `${length} bytes of garbage appended`, append(garbage(length)), { tail: 'damage', keep: all, problemOffset: end, resumesAt: null })
  }
  // Shorter than a header: indistinguishable from a header cut short.
  await checkAltered(t, '12 bytes of garbage appended', append(garbage(12)), { tail: 'torn', keep: all })
  // Zeros: what a file system can leave when the size reached the disk and
  // the data did not. Sophia would replay 13 zeros as an empty key.
  for (const length of [1, 13, 26, 4096]) {
    await checkAltered(t, `${length} zero bytes appended`, append(Buffer.alloc(length)), { tail: 'torn', keep: all })
  }
  await checkAltered(t, 'last commit cut, then zeros', (bytes) => Buffer.concat([bytes.subarray(0, end - 9), Buffer.alloc(700)]), { tail: 'torn', keep: all - 1 })
  await checkAltered(t, 'last commit zeroed', (bytes) => { bytes.fill(0, fixture.starts[all - 1] + 30); return bytes }, { tail: 'torn', keep: all - 1 })
  await checkAltered(t, 'byte flipped in the last record', flip(end - 3), { tail: 'torn', keep: all - 1 })
  await checkAltered(t, 'byte flipped in the last record, more bytes after', (bytes) => Buffer.concat([flip(end - 3)(bytes), garbage(40)]), {
    tail: 'damage', keep: all - 1
  })
  await checkAltered(t, 'file header damaged', flip(2), { tail: 'damage', keep: all, problemOffset: 0 })
})

test('write-ahead log: several log files', async function (t) {
  // Sophia starts a new log file every 500,000 records (log.rotate_wm), by
  // creating <id + 1>.log with a file header and writing there from then on;
  // a reopened environment keeps appending to the last file. Doing the same
  // by hand between two sessions gives a rotated log in milliseconds.
  const location = tempLocation()
  const first = makeWrites(20, 11)
  const second = makeWrites(20, 12)
  const firstEnds = await writeAll(location, first, FIRST_LOG)
  fs.writeFileSync(path.join(location, 'log', SECOND_LOG), FILE_HEADER)
  const secondEnds = await writeAll(location, second, SECOND_LOG)
  t.is(fs.statSync(path.join(location, 'log', FIRST_LOG)).size, firstEnds[firstEnds.length - 1], 'the second session wrote to the second file only')
  t.is((await inspectLog(path.join(location, 'log'))).status, 'clean', 'clean')
  t.same(await readAll(location), sorted(applyWrites(applyWrites(new Map(), first), second)), 'both files replayed')

  const firstBytes = fs.readFileSync(path.join(location, 'log', FIRST_LOG))
  const secondBytes = fs.readFileSync(path.join(location, 'log', SECOND_LOG))

  // A file other than the last one cut short: damage, as only the last file
  // is written to.
  {
    const copy = copyOf(location)
    const logDirectory = path.join(copy, 'log')
    const cut = firstBytes.length - 5
    fs.truncateSync(path.join(logDirectory, FIRST_LOG), cut)
    const inspection = await inspectLog(logDirectory)
    t.same([inspection.status, inspection.files[0].tail, inspection.files[1].tail], ['damaged', 'damage', 'none'], `first file cut at ${cut}: damage`)
    t.is(await dropTornTail(logDirectory), null, 'dropTornTail refuses')
    t.is(fs.statSync(path.join(logDirectory, FIRST_LOG)).size, cut, 'the first file is untouched')
    const salvage = await salvageLog(logDirectory)
    const kept = firstEnds[firstEnds.length - 2]
    t.same([salvage.files.length, salvage.files[0].keptBytes, salvage.droppedBytes], [1, kept, cut - kept], 'salvage trims the first file to its last whole commit')
    t.same(savedCopyProblems(salvage.files[0], firstBytes.subarray(kept, cut)), [], 'what it dropped is set aside')
    const expected = applyWrites(applyWrites(new Map(), first.slice(0, -1)), second)
    t.same(await readAll(copy), sorted(expected), 'opens with the first file\'s whole commits and all of the second')
  }

  // The last file cut: a torn tail, whatever precedes it.
  for (const cut of [FILE_HEADER.length + 3, secondEnds[3] + 1, secondBytes.length - 1]) {
    const copy = copyOf(location)
    const logDirectory = path.join(copy, 'log')
    fs.truncateSync(path.join(logDirectory, SECOND_LOG), cut)
    t.is((await inspectLog(logDirectory)).status, 'torn-tail', `second file cut at ${cut}: torn tail`)
    const dropped = await dropTornTail(logDirectory)
    const n = secondEnds.filter((end) => end <= cut).length
    const kept = n === 0 ? FILE_HEADER.length : secondEnds[n - 1]
    t.ok(dropped && dropped.file.endsWith(SECOND_LOG) && dropped.keptBytes === kept, `dropTornTail keeps ${kept} bytes of the second file`)
    t.same(await readAll(copy), sorted(applyWrites(applyWrites(new Map(), first), second.slice(0, n))), 'opens with the first file and the second\'s whole commits')
  }

  // The last file created but its header not (entirely) written: Sophia
  // refuses a log file shorter than 11 bytes.
  for (const size of [0, 5]) {
    const copy = copyOf(location)
    const logDirectory = path.join(copy, 'log')
    fs.truncateSync(path.join(logDirectory, SECOND_LOG), size)
    const dropped = await dropTornTail(logDirectory)
    t.ok(dropped && dropped.headerRewritten && dropped.keptBytes === 0 && dropped.droppedBytes === size, `second file of ${size} bytes: header rewritten`)
    if (size === 0) t.is(dropped.savedTo, null, 'an empty file has nothing to set aside')
    else t.same(savedCopyProblems(dropped, secondBytes.subarray(0, size)), [], 'the partial header is set aside')
    const db = new SophiaLevel(copy)
    await db.open()
    await db.put('after', 'header')
    await db.close()
    const expected = applyWrites(new Map(), first).set('after', 'header')
    t.same(await readAll(copy), sorted(expected), 'opens with the first file, and new writes survive')
  }

  // A file other than the last one shorter than its header: salvage gives it
  // a fresh one.
  {
    const copy = copyOf(location)
    const logDirectory = path.join(copy, 'log')
    fs.truncateSync(path.join(logDirectory, FIRST_LOG), 5)
    t.is((await inspectLog(logDirectory)).status, 'damaged', 'first file of 5 bytes: damaged')
    t.is(await dropTornTail(logDirectory), null, 'dropTornTail refuses')
    const salvage = await salvageLog(logDirectory)
    t.ok(salvage.files[0].headerRewritten, 'salvage rewrites its header')
    t.same(savedCopyProblems(salvage.files[0], firstBytes.subarray(0, 5)), [], 'the original is set aside')
    t.same(await readAll(copy), sorted(applyWrites(new Map(), second)), 'opens with the second file')
  }
})

test('write-ahead log: several databases, transactions across them', async function (t) {
  // Records of the second database carry database id 1, and a transaction
  // across both frames records of both; every offset of the last two
  // commits (a put to b, a transaction across a and b) is tried.
  const location = tempLocation()
  const commits = [
    [['a', 'put', 'x', 'a1']],
    [['b', 'put', 'x', 'b1']],
    [['a', 'put', 'y', 'a2'], ['b', 'put', 'y', 'b2'], ['b', 'del', 'x']],
    [['b', 'put', 'z', 'b3']],
    [['a', 'del', 'x'], ['b', 'put', 'w', 'b4'], ['a', 'put', 'z', 'a3']]
  ]
  const open = async (where) => {
    const env = new SophiaEnv(where)
    const dbs = { a: env.database('a'), b: env.database('b') }
    await env.open()
    return { env, dbs }
  }
  const { env, dbs } = await open(location)
  const ends = []
  for (const commit of commits) {
    if (commit.length === 1) {
      const [db, type, key, value] = commit[0]
      await (type === 'put' ? dbs[db].put(key, value) : dbs[db].del(key))
    } else {
      await env.transaction(async (tx) => {
        for (const [db, type, key, value] of commit) {
          await (type === 'put' ? tx.put(key, value, { db: dbs[db] }) : tx.del(key, { db: dbs[db] }))
        }
      })
    }
    ends.push(fs.statSync(path.join(location, 'log', FIRST_LOG)).size)
  }
  await env.close()
  const bytes = fs.readFileSync(path.join(location, 'log', FIRST_LOG))
  t.is(bytes.readUInt32LE(ends[0] + 4), 1, 'the second database\'s records carry id 1')

  const expected = (n) => {
    const state = { a: new Map(), b: new Map() }
    for (const commit of commits.slice(0, n)) {
      for (const [db, type, key, value] of commit) {
        if (type === 'put') state[db].set(key, value)
        else state[db].delete(key)
      }
    }
    return { a: sorted(state.a), b: sorted(state.b) }
  }
  const cuts = []
  for (let cut = ends[2]; cut <= bytes.length; cut++) cuts.push(cut)
  const results = await inPool(cuts, async (cut) => {
    const copy = copyOf(location)
    const logDirectory = path.join(copy, 'log')
    fs.truncateSync(path.join(logDirectory, FIRST_LOG), cut)
    const n = ends.filter((end) => end <= cut).length
    const problems = []
    const status = (await inspectLog(logDirectory)).status
    if (status !== (ends.includes(cut) ? 'clean' : 'torn-tail')) problems.push(`status ${status}`)
    const dropped = await dropTornTail(logDirectory)
    if (ends.includes(cut)) {
      if (dropped !== null) problems.push('dropTornTail acted at a boundary')
    } else {
      problems.push(...savedCopyProblems(dropped, bytes.subarray(ends[n - 1], cut)))
    }
    const { env, dbs } = await open(copy)
    const actual = { a: await dbs.a.iterator().all(), b: await dbs.b.iterator().all() }
    await env.close()
    if (JSON.stringify(actual) !== JSON.stringify(expected(n))) problems.push(`content ${JSON.stringify(actual)}`)
    fs.rmSync(copy, { recursive: true, force: true })
    return problems
  })
  cuts.forEach((cut, i) => t.same(results[i], [], `cut at ${cut} of ${bytes.length}`))
})

test('write-ahead log: a missing log directory and a fresh database', async function (t) {
  const location = tempLocation()
  t.same(await inspectLog(path.join(location, 'log')), { directory: path.join(location, 'log'), files: [], status: 'clean' }, 'no directory: no files, clean')
  t.is(await dropTornTail(path.join(location, 'log')), null, 'nothing to drop')
  const db = new SophiaLevel(location)
  await db.open()
  await db.close()
  const inspection = await inspectLog(path.join(location, 'log'))
  t.same(inspection.files.map((f) => [path.basename(f.file), f.size, f.validEnd, f.tail]), [[FIRST_LOG, 11, 11, 'none']], 'a fresh log is a header')
})
