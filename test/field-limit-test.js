'use strict'

// Why a keySchema has at most 5 parts (4 with expire): a C program against
// our Sophia build writes rows of 3 to 8 fields and reads them through a
// cursor. Up to 6 fields it reads every row; with 7 or more Sophia crashes
// (upstream issue #171), which sophia-level refuses with a RangeError before
// anything opens (test/key-schema-test.js).

const test = require('tape')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { depsDir } = require('../scripts/fetch-sophia')
const { SophiaLevel } = require('..')

test('Sophia reads rows of up to 6 fields, and crashes on 7 or more', function (t) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-fields-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const binary = path.join(work, 'field_limit')
  execFileSync('cc', ['-O1', '-std=gnu99', '-pthread', '-w', '-I', depsDir, path.join(__dirname, 'native', 'field_limit.c'),
    path.join(depsDir, 'sophia.c'), '-o', binary])
  for (let fields = 3; fields <= 8; fields++) {
    const result = spawnSync(binary, [String(fields), path.join(work, `db${fields}`)], { encoding: 'utf8' })
    if (fields <= 6) {
      t.is(result.status, 0, `${fields} fields: ${result.stdout.trim()}`)
      t.ok(result.stdout.includes('rows=10'), `${fields} fields: every row read`)
    } else {
      t.is(result.signal, 'SIGSEGV', `${fields} fields: Sophia crashes (${result.signal})`)
    }
  }
  t.end()
})

test('sophia-level refuses schemas past the limit, and works at it', async function (t) {
  const parts = (n) => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, type: i === 0 ? 'string' : 'u32' }))
  t.throws(() => new SophiaLevel(path.join(os.tmpdir(), 'never-opened'), { keySchema: parts(6) }), RangeError, '6 parts and the value')
  t.throws(() => new SophiaLevel(path.join(os.tmpdir(), 'never-opened'), { keySchema: parts(5), expire: 60 }), RangeError, '5 parts, the value and a timestamp')
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-fields-'))
  t.teardown(() => fs.rmSync(location, { recursive: true, force: true }))
  const db = new SophiaLevel(location, { keySchema: parts(5) })
  await db.open()
  await db.batch(Array.from({ length: 10 }, (_, i) => ({ type: 'put', key: ['k', i, i, i, i], value: String(i) })))
  t.is((await db.keys().all()).length, 10, '5 parts: every row read through a cursor')
  await db.close()
})
