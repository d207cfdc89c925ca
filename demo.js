'use strict'

// A short tour: open a database, write, read ranges, take a snapshot.
// Run with `npm run demo` after `npm install`.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { SophiaLevel } = require('.')

async function main () {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'sophia-level-demo-'))
  const db = new SophiaLevel(location, { valueEncoding: 'json' })

  await db.put('fruit:apple', { colour: 'green', stock: 12 })
  await db.batch([
    { type: 'put', key: 'fruit:banana', value: { colour: 'yellow', stock: 30 } },
    { type: 'put', key: 'fruit:cherry', value: { colour: 'red', stock: 250 } },
    { type: 'put', key: 'veg:leek', value: { colour: 'green', stock: 4 } }
  ])
  console.log('get fruit:apple ->', await db.get('fruit:apple'))

  console.log('fruit, last first:')
  for await (const [key, value] of db.iterator({ gte: 'fruit:', lt: 'fruit;', reverse: true, limit: 10 })) {
    console.log(`  ${key} ${JSON.stringify(value)}`)
  }

  const snapshot = db.snapshot()
  await db.del('fruit:banana', { sync: true })
  console.log('banana now:', await db.get('fruit:banana'), '| in the snapshot:', await db.get('fruit:banana', { snapshot }))
  await snapshot.close()

  const sales = db.sublevel('sales', { valueEncoding: 'utf8' })
  await sales.put('2026-11-27', 'apple x3')
  console.log('sublevel sales:', await sales.iterator().all())

  await db.close()
  await db.open()
  console.log('after reopening, keys:', await db.keys().all())
  await db.close()
  fs.rmSync(location, { recursive: true, force: true })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
