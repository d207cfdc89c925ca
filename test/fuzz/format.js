'use strict'

// Comparing results of the two databases, and showing them: Buffers and
// Uint8Arrays as hex (long ones by their ends and length), strings with
// their unprintable characters escaped, errors by code.

const crypto = require('crypto')

function typeOf (x) {
  if (x === null) return 'null'
  if (Buffer.isBuffer(x)) return 'Buffer'
  if (x instanceof Uint8Array) return 'Uint8Array'
  if (Array.isArray(x)) return 'array'
  return typeof x
}

function bytesOf (x) {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength)
}

// Deep equality of results: the same types (a Buffer is not a string, nor a
// plain Uint8Array) and the same contents.
function same (a, b) {
  const type = typeOf(a)
  if (type !== typeOf(b)) return false
  if (type === 'Buffer' || type === 'Uint8Array') return bytesOf(a).equals(bytesOf(b))
  if (type === 'array') {
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false
    return true
  }
  return a === b
}

function hex (buf, start = 0, end = buf.length) {
  return buf.subarray(start, end).toString('hex')
}

function showBytes (x, name) {
  const buf = bytesOf(x)
  if (buf.length <= 48) return `<${name} ${buf.length === 0 ? 'empty' : hex(buf)}>`
  const digest = crypto.createHash('sha1').update(buf).digest('hex').slice(0, 10)
  return `<${name} len=${buf.length} ${hex(buf, 0, 24)}…${hex(buf, buf.length - 8)} sha1:${digest}>`
}

function escapeString (s) {
  let out = ''
  for (const ch of s) {
    const code = ch.codePointAt(0)
    if (ch === '"' || ch === '\\') out += '\\' + ch
    else if (code >= 0x20 && code < 0x7f) out += ch
    else if (code < 0x100) out += '\\x' + code.toString(16).padStart(2, '0')
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\u' + code.toString(16) + '(lone)'
    else out += '\\u{' + code.toString(16) + '}'
  }
  return out
}

function showString (s) {
  const bytes = Buffer.byteLength(s)
  if (s.length <= 60) return `"${escapeString(s)}"` + (bytes > 8 ? ` (${bytes} bytes)` : '')
  const chars = Array.from(s)
  const digest = crypto.createHash('sha1').update(s).digest('hex').slice(0, 10)
  return `"${escapeString(chars.slice(0, 24).join(''))}"…"${escapeString(chars.slice(-8).join(''))}" (${s.length} chars, ${bytes} bytes, sha1:${digest})`
}

// One line for any result or operation argument.
function show (x, maxItems = 8) {
  switch (typeOf(x)) {
    case 'Buffer': return showBytes(x, 'Buffer')
    case 'Uint8Array': return showBytes(x, 'Uint8Array')
    case 'string': return showString(x)
    case 'array': {
      const items = x.slice(0, maxItems).map((item) => show(item, maxItems))
      if (x.length > maxItems) items.push(`… ${x.length - maxItems} more, ${x.length} in all`)
      return `[${items.join(', ')}]`
    }
    case 'object': {
      const parts = []
      for (const k of Object.keys(x)) if (x[k] !== undefined) parts.push(`${k}: ${show(x[k], maxItems)}`)
      return `{ ${parts.join(', ')} }`
    }
    case 'number': return Object.is(x, -0) ? '-0' : String(x)
    default: return String(x)
  }
}

// An outcome is { ok: true, value } or { ok: false, code, message, sync }.
function sameOutcome (a, b) {
  if (a.ok !== b.ok) return false
  if (a.ok) return same(a.value, b.value)
  return a.code === b.code && a.sync === b.sync
}

function showOutcome (outcome) {
  if (outcome.ok) return show(outcome.value)
  const message = outcome.message.length > 300 ? outcome.message.slice(0, 300) + '…' : outcome.message
  return `${outcome.sync ? 'threw' : 'rejected with'} ${outcome.code || outcome.name || 'an error without code'}: ${message}`
}

// Where two results first differ, in a few lines.
function explain (expected, actual, path = 'result') {
  const te = typeOf(expected)
  const ta = typeOf(actual)
  if (te !== ta) return [`${path}: expected ${te === 'undefined' ? 'undefined' : 'a ' + te}, got ${ta === 'undefined' ? 'undefined' : 'a ' + ta}`]
  if (te === 'array') {
    const lines = []
    if (expected.length !== actual.length) lines.push(`${path}: expected ${expected.length} items, got ${actual.length}`)
    const n = Math.min(expected.length, actual.length)
    for (let i = 0; i < n; i++) {
      if (!same(expected[i], actual[i])) {
        lines.push(...explain(expected[i], actual[i], `${path}[${i}]`))
        if (i > 0 && !path.includes('][')) lines.push(`${path}[${i - 1}] (same on both): ${show(expected[i - 1])}`)
        return lines
      }
    }
    if (expected.length > n) lines.push(`first missing item ${path}[${n}]: ${show(expected[n])}`)
    if (actual.length > n) lines.push(`first extra item ${path}[${n}]: ${show(actual[n])}`)
    return lines
  }
  if (te === 'Buffer' || te === 'Uint8Array') {
    const e = bytesOf(expected)
    const a = bytesOf(actual)
    let i = 0
    while (i < e.length && i < a.length && e[i] === a[i]) i++
    const from = Math.max(0, i - 4)
    return [
      `${path}: expected ${show(expected)}`,
      `${' '.repeat(path.length)}  actual ${show(actual)}`,
      `${' '.repeat(path.length)}  first difference at byte ${i} (lengths ${e.length} vs ${a.length}): ` +
        `expected …${hex(e, from, i + 8)}, actual …${hex(a, from, i + 8)}`
    ]
  }
  return [`${path}: expected ${show(expected)}`, `${' '.repeat(path.length)}  actual ${show(actual)}`]
}

module.exports = { typeOf, same, show, showOutcome, sameOutcome, explain }
