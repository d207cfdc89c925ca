'use strict'

// Opening runs on the thread pool, so several databases open at once. Sophia
// parses its schemes with strtok(), which is not reentrant: concurrent opens
// corrupted each other's schemes (an assertion in sf_schemesave, or wrong
// field options) until opening was serialised (binding/environment.cc).

const test = require('tape')
const { SophiaLevel } = require('..')
const { tempLocation } = require('./common')

test('many databases opened at the same time all open and work', async function (t) {
  let verified = 0
  for (let round = 0; round < 5; round++) {
    const dbs = Array.from({ length: 40 }, () => new SophiaLevel(tempLocation()))
    await Promise.all(dbs.map((db) => db.open()))
    await Promise.all(dbs.map((db, i) => db.put('key', String(i))))
    const values = await Promise.all(dbs.map((db) => db.get('key')))
    verified += values.filter((value, i) => value === String(i)).length
    await Promise.all(dbs.map((db) => db.close()))
    await Promise.all(dbs.map((db) => db.open()))
    await Promise.all(dbs.map((db) => db.close()))
  }
  t.is(verified, 200, '200 databases opened in rounds of 40 at once, and reopened')
})
