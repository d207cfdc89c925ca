'use strict'

// Writes a list of operations (a shrunk failing run) as a standalone script
// that runs them on sophia-level and memory-level and prints where the two
// first differ: a starting point for a minimal reproduction. Bytes are
// written as hex, long ones deflated and in base64.

const zlib = require('zlib')
const { refusal } = require('./model')
const { describeConfig } = require('./generator')

function bytes (buf, view) {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const text = b.length <= 64 ? `H('${b.toString('hex')}')` : `Z('${zlib.deflateRawSync(b, { level: 9 }).toString('base64')}')`
  return view ? `U(${text})` : text
}

// A single-quoted JS string literal.
function q (text) {
  return "'" + JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'") + "'"
}

function lit (x) {
  if (x === undefined) return 'undefined'
  if (x === null) return 'null'
  if (Buffer.isBuffer(x)) return bytes(x, false)
  if (x instanceof Uint8Array) return bytes(x, true)
  if (typeof x === 'string') return q(x)
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : x > 0 ? 'Infinity' : '-Infinity'
  if (typeof x === 'boolean') return String(x)
  if (Array.isArray(x)) return `[${x.map(lit).join(', ')}]`
  return `{ ${Object.keys(x).filter((k) => x[k] !== undefined).map((k) => `${/^[a-z]\w*$/i.test(k) ? k : q(k)}: ${lit(x[k])}`).join(', ')} }`
}

function options (o) {
  if (o === undefined) return ''
  const parts = []
  for (const k of Object.keys(o)) {
    if (o[k] === undefined) continue
    parts.push(k === 'snapshot' ? `snapshot: s[${o[k]}]` : `${k}: ${lit(o[k])}`)
  }
  return parts.length > 0 ? `, { ${parts.join(', ')} }` : ''
}

function batchOps (operations) {
  return '[\n    ' + operations.map((o) => {
    const sub = o.sublevel ? ', sublevel: sub' : ''
    return o.type === 'put' ? `{ type: 'put', key: ${lit(o.key)}, value: ${lit(o.value)}${sub} }` : `{ type: 'del', key: ${lit(o.key)}${sub} }`
  }).join(',\n    ') + '\n  ]'
}

// The statement for one operation, or null if it is left out.
function statement (op, i) {
  const t = op.target === 'sub' ? 'sub' : 'db'
  const r = (body) => `  await rec(${i}, ${q(op.type)}, () => ${body})`
  switch (op.type) {
    case 'put': return r(`${t}.put(${lit(op.key)}, ${lit(op.value)}${options(op.options)})`)
    case 'del': return r(`${t}.del(${lit(op.key)}${options(op.options)})`)
    case 'get':
    case 'getSync':
    case 'has':
      return r(`${t}.${op.type}(${lit(op.key)}${options(op.options)})`)
    case 'getMany':
    case 'hasMany':
      return r(`${t}.${op.type}(${lit(op.keys)}${options(op.options)})`)
    case 'batch': return r(`${t}.batch(${batchOps(op.operations)}${options(op.options)})`)
    case 'chained': {
      const calls = op.operations.map((o) => {
        const sub = o.sublevel ? ', { sublevel: sub }' : ''
        if (o.type === 'clear') return '.clear()'
        return o.type === 'put' ? `.put(${lit(o.key)}, ${lit(o.value)}${sub})` : `.del(${lit(o.key)}${sub})`
      })
      const finish = op.finish === 'close' ? '.close()' : `.write(${options(op.options).slice(2)})`
      return r(`${t}.batch()\n    ${calls.join('\n    ')}\n    ${finish}`)
    }
    case 'clear': return r(`${t}.clear(${options(op.options).slice(2)})`)
    case 'iterator.create': return r(`{ it[${op.id}] = ${t}.${op.kind}(${options(op.options).slice(2)}) }`)
    case 'iterator.next': return r(`it[${op.id}].next()`)
    case 'iterator.nextv': return r(`it[${op.id}].nextv(${op.size})`)
    case 'iterator.all': return r(`it[${op.id}].all()`)
    case 'iterator.seek': return r(`it[${op.id}].seek(${lit(op.target)}${op.options ? ', ' + lit(op.options) : ''})`)
    case 'iterator.close': return r(`it[${op.id}].close()`)
    case 'snapshot.create': return r(`{ s[${op.id}] = ${t}.snapshot() }`)
    case 'snapshot.close': return r(`s[${op.id}].close()`)
    case 'reopen': return `  await reopen(${q(op.how)})`
    case 'wait': return `  await sleep(${op.ms})`
    case 'check': return r('db.iterator().all()')
    case 'parallel': {
      const inner = op.operations.map((o) => statement(o, i))
      if (inner.some((s) => s === null)) return null
      return `  await Promise.all([\n${inner.map((s) => s.replace(/^ {2}await /, '    ')).join(',\n')}\n  ])`
    }
    default: return null
  }
}

function toScript ({ seed, config, operations, sophiaOptions, summary, modulePath }) {
  const lines = []
  let skipped = 0
  operations.forEach((op, i) => {
    if (refusal(op) !== null || (op.type === 'parallel' && op.operations.some((o) => refusal(o) !== null))) {
      skipped++
      return
    }
    const s = statement(op, i + 1)
    if (s === null) skipped++
    else lines.push(s)
  })
  const mode = config.mode
  const body = lines.join('\n')
  const uses = (name) => body.includes(name + '(')
  const helpers = [
    uses('H') ? "const H = (hex) => Buffer.from(hex, 'hex')\n" : '',
    uses('Z') ? "const Z = (base64) => zlib.inflateRawSync(Buffer.from(base64, 'base64'))\n" : '',
    uses('U') ? 'const U = (buffer) => new Uint8Array(buffer)\n' : '',
    uses('sleep') ? 'const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))\n' : ''
  ].join('')
  const reopen = !uses('reopen')
    ? ''
    : `  // memory-level stays open: its iterators and snapshots close as
  // sophia-level's do when it closes.
  const reopen = async (how) => {
    if (!sophia) {
      for (const x of Object.values(it).concat(Object.values(s))) await x.close()
      return
    }
    await db.close()
    if (how === 'instance') db = create()
    await db.open()
    sub = db.sublevel('s', ENCODINGS)
    await sub.open()
  }

`
  return `/* eslint-disable prefer-const, no-unused-vars */
'use strict'

// Written by node test/fuzz/run.js --seed=${seed} --shrink --script=…
// Run: ${describeConfig(config)}
// Divergence: ${summary}
// ${operations.length} operations${skipped > 0 ? ` (${skipped} refused or left out)` : ''}, run on sophia-level and on
// memory-level; prints where their results first differ (exit code 1).

const fs = require('fs')
const os = require('os')
const path = require('path')
${uses('Z') ? "const zlib = require('zlib')\n" : ''}const { SophiaLevel } = require(${q(modulePath)})
const { MemoryLevel } = require('memory-level')

${helpers}const ENCODINGS = { keyEncoding: ${q(mode)}, valueEncoding: ${q(mode)} }
const OPTIONS = ${lit(sophiaOptions)}

async function run (sophia) {
  const location = sophia ? fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-repro-')) : null
  const create = () => sophia ? new SophiaLevel(location, OPTIONS) : new MemoryLevel(ENCODINGS)
  let db = create()
  await db.open()
  let sub = db.sublevel('s', ENCODINGS)
  await sub.open()
  const it = {}
  const s = {}
  const out = []
  const rec = async (step, what, fn) => {
    try {
      out.push({ step, what, ok: true, value: await fn() })
    } catch (err) {
      out.push({ step, what, ok: false, code: err.code, message: err.message })
    }
  }
${reopen}${body}

  await rec('end', 'db.iterator().all()', () => db.iterator().all())
  await db.close()
  if (location !== null) fs.rmSync(location, { recursive: true, force: true })
  return out
}

function show (x) {
  if (x instanceof Uint8Array) {
    const b = Buffer.from(x.buffer, x.byteOffset, x.byteLength)
    return b.length <= 48 ? \`<\${b.length === 0 ? 'empty' : b.toString('hex')}>\` : \`<len=\${b.length} \${b.subarray(0, 24).toString('hex')}…\${b.subarray(-8).toString('hex')}>\`
  }
  if (Array.isArray(x)) return '[' + x.map(show).join(', ') + ']'
  if (typeof x === 'string') return JSON.stringify(x.length > 80 ? x.slice(0, 60) + '…' + x.slice(-10) : x)
  return String(x)
}

const same = (a, b) => show(a) === show(b) && (!(a instanceof Uint8Array) || Buffer.compare(a, b) === 0) &&
  (!Array.isArray(a) || a.every((x, i) => same(x, b[i])))

async function main () {
  const expected = await run(false)
  const actual = await run(true)
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]
    const a = actual[i]
    if (e.ok === a.ok && (e.ok ? same(e.value, a.value) : e.code === a.code)) continue
    console.log(\`operation \${e.step} (\${e.what}) differs:\`)
    console.log('  memory-level:', e.ok ? show(e.value) : 'error ' + e.code)
    console.log('  sophia-level:', a.ok ? show(a.value) : 'error ' + a.code + ' ' + a.message)
    process.exitCode = 1
    return
  }
  console.log('no difference')
}

main()
`
}

module.exports = { toScript }
