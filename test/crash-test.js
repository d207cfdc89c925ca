'use strict'

// A writer killed with SIGKILL at random moments: every write it had seen
// acknowledged is there after reopening (a torn log tail is dropped at
// open), and no batch or transaction is half applied. `npm run test:crash`
// runs many more cycles (SOPHIA_LEVEL_CRASH_CYCLES).

const test = require('tape')
const path = require('path')
const { spawn } = require('child_process')
const { once } = require('events')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const fixture = path.join(__dirname, 'fixtures', 'writer.js')
const cycles = Number(process.env.SOPHIA_LEVEL_CRASH_CYCLES || 8)

async function runAndKill (location, start, afterMs) {
  const child = spawn(process.execPath, [fixture, location, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const acknowledged = []
  let pending = ''
  child.stdout.on('data', (chunk) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()
    acknowledged.push(...lines)
  })
  await new Promise((resolve) => setTimeout(resolve, afterMs))
  child.kill('SIGKILL')
  await once(child, 'exit')
  return acknowledged
}

test(`crash recovery: ${cycles} SIGKILL cycles lose no acknowledged write`, async function (t) {
  const location = tempLocation()
  let start = 0
  let verified = 0
  for (let cycle = 0; cycle < cycles; cycle++) {
    const acknowledged = await runAndKill(location, start, 150 + Math.floor(Math.random() * 250))
    const db = new SophiaLevel(location)
    await db.open()
    // The write in flight when the writer was killed may or may not have
    // been applied: when it was a delete, the put it deletes may be gone.
    const loops = acknowledged.map((line) => {
      const [kind, n] = line.split(' ')
      return kind === 'del' ? Number(n) + 1 : Number(n)
    })
    const inFlight = loops.length === 0 ? start : Math.max(...loops) + 1
    const mayBeDeleted = inFlight % 3 !== 0 && inFlight % 5 !== 0 && inFlight % 11 === 0 ? String(inFlight - 1) : null
    let missing = 0
    for (const line of acknowledged) {
      const [kind, n] = line.split(' ')
      if (kind === 'del') {
        if (await db.get(`p${n}`) !== undefined) missing++
        continue
      }
      const keys = kind === 'batch'
        ? Array.from({ length: 10 }, (_, i) => `b${n}-${i}`)
        : kind === 'transaction' ? Array.from({ length: 5 }, (_, i) => `x${n}-${i}`) : [`p${n}`]
      const values = await db.getMany(keys)
      // A put may have been deleted since, by an acknowledged delete.
      const deleted = kind === 'put' && (acknowledged.includes(`del ${n}`) || n === mayBeDeleted)
      missing += values.filter((v) => v !== n && !deleted).length
    }
    let partial = 0
    for (const [prefix, size] of [['b', 10], ['x', 5]]) {
      const groups = new Map()
      for (const key of await db.keys({ gte: prefix, lt: String.fromCharCode(prefix.charCodeAt(0) + 1) }).all()) {
        const n = key.slice(1, key.indexOf('-'))
        groups.set(n, (groups.get(n) || 0) + 1)
      }
      partial += [...groups.values()].filter((count) => count !== size).length
    }
    await db.close()
    if (missing !== 0 || partial !== 0) {
      t.fail(`cycle ${cycle}: ${missing} acknowledged writes missing, ${partial} partial batches or transactions`)
      return
    }
    verified += acknowledged.length
    start += 100000
  }
  t.ok(verified > 0, `${verified} acknowledged writes verified over ${cycles} kills, no batch or transaction half applied`)
})
