'use strict'

// A process that exits at any stage of a database's life exits cleanly, and
// leaves the database openable with its data.

const test = require('tape')
const path = require('path')
const { spawnSync } = require('child_process')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

const stages = ['opening', 'open', 'iterator', 'snapshot', 'nexting', 'syncing', 'clearing', 'closing', 'open-error']

for (const stage of stages) {
  test(`exit while ${stage}`, async function (t) {
    const location = tempLocation()
    const result = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'exit-at-stage.js'), location, stage], { encoding: 'utf8' })
    t.is(result.signal, null, 'no signal')
    t.is(result.status, 0, result.stderr || 'exit code 0')
    const db = new SophiaLevel(location)
    await db.open()
    const keys = await db.keys().all()
    t.ok(stage === 'opening' || stage === 'clearing' || ['a', 'b'].every((k) => keys.includes(k)), `reopens with its data (${keys.join(',')})`)
    await db.close()
  })
}
