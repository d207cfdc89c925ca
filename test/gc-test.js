'use strict'

const test = require('tape')
const path = require('path')
const { spawnSync } = require('child_process')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

test('garbage collection at every stage: no crash, nothing lost', async function (t) {
  const location = tempLocation()
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'fixtures', 'gc.js'), location], { encoding: 'utf8' })
  t.is(result.signal, null, 'no signal')
  t.is(result.status, 0, result.stderr)
  t.is(result.stdout.trim(), 'done')

  const db = new SophiaLevel(location)
  t.is((await db.keys().all()).length, 900, 'the batch and the clear were applied, and nothing else changed')
  await db.close()
  const dropped = new SophiaLevel(location + '-dropped')
  t.is(await dropped.get('kept'), 'yes', 'a database dropped while open was closed at exit, lock released')
  await dropped.close()
})
