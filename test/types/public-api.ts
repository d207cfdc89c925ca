// Compiles against the package's declarations, as a strict consumer would
// (test/types-test.js runs tsc --noEmit on it). Every `@ts-expect-error` line
// is a wrong use that must not compile: tsc fails if one of them does.

import {
  SophiaLevel,
  SophiaEnv,
  SophiaTransaction,
  SophiaIterator,
  SophiaKeyIterator,
  SophiaValueIterator,
  SophiaChainedBatch,
  SophiaSnapshot,
  SophiaSublevel,
  withCallbacks
} from 'sophia-level'
import type {
  Callback,
  CallbackDatabase,
  CallbackIterator,
  CallbackKeyIterator,
  CallbackValueIterator,
  DatabaseOptions,
  EnvironmentOptions,
  EnvironmentSettingsOptions,
  KeyPart,
  KeyParts,
  PrefixOption,
  ManagedTransactionOptions,
  OpenOptions,
  StorageOptions,
  TransactionCommitOptions,
  TransactionDelOptions,
  TransactionPutOptions,
  TransactionTargetOptions
} from 'sophia-level'

interface Counter { n: number }

export async function databases (): Promise<void> {
  // Defaults: string keys and values, as ClassicLevel<K, V>.
  const plain = new SophiaLevel('./plain')
  const s: string | undefined = await plain.get('a')
  await plain.put('a', 'b')

  const options: DatabaseOptions<string, Counter> = { valueEncoding: 'json', threads: 2 }
  const db = new SophiaLevel<string, Counter>('./db', options)
  const open: OpenOptions = { createIfMissing: true, errorIfExists: false }
  await db.open(open)
  await db.put('a', { n: 1 }, { sync: true })
  const counter: Counter | undefined = await db.get('a')
  const sync: Counter | undefined = db.getSync('a')
  const many: Array<Counter | undefined> = await db.getMany(['a', 'b'])
  const has: boolean = await db.has('a')
  const hasMany: boolean[] = await db.hasMany(['a'])

  // Per-call encodings change the key and value types of that call.
  const raw: string | undefined = await db.get<string, string>('a', { valueEncoding: 'utf8' })
  const bytes: Uint8Array | undefined = await db.get<string, Uint8Array>('a', { valueEncoding: 'view' })
  const buffer: Buffer | undefined = await db.get<Buffer, Buffer>(Buffer.from('a'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })

  await db.batch([{ type: 'put', key: 'b', value: { n: 2 } }, { type: 'del', key: 'c' }])
  await db.batch([{ type: 'put', key: 'b', value: { n: 2 } }], { sync: true })
  await db.del('c', { sync: true })
  const hwmKeys: string[] = await db.keys({ highWaterMarkBytes: 4096 }).all()
  // @ts-expect-error sync is a boolean
  await db.put('a', { n: 1 }, { sync: 'yes' })
  // @ts-expect-error highWaterMarkBytes is a number
  db.values({ highWaterMarkBytes: '1k' })
  const chained = db.batch().put('d', { n: 4 }).del('e')
  await chained.write({ sync: false })

  // @ts-expect-error the value type is Counter
  await db.put('a', { n: 'one' })
  // @ts-expect-error the key type is string
  await db.put(1, { n: 1 })
  // @ts-expect-error get() may resolve to undefined
  const unchecked: Counter = await db.get('a')
  // @ts-expect-error a location is required
  const nowhere = new SophiaLevel()
  // @ts-expect-error threads is a number
  const badThreads = new SophiaLevel('./x', { threads: '2' })

  // Iterators: entries, keys, values, with ranges and per-call encodings.
  const entries: Array<[string, Counter]> = await db.iterator({ gte: 'a', lt: 'z', reverse: true, limit: 10 }).all()
  for await (const [key, value] of db.iterator()) {
    const k: string = key
    const v: number = value.n
    void k; void v
  }
  const keys: string[] = await db.keys({ gt: 'a' }).all()
  const values: Counter[] = await db.values({ lte: 'z' }).all()
  const rawValues: string[] = await db.values<string, string>({ valueEncoding: 'utf8' }).all()
  const it = db.iterator({ highWaterMarkBytes: 1024, gte: 'a' })
  it.seek('m')
  const next: [string, Counter] | undefined = await it.next()
  await it.close()
  const iteratorClasses = [SophiaIterator, SophiaKeyIterator, SophiaValueIterator, SophiaChainedBatch] as const
  if (it instanceof SophiaIterator) {
    const narrowed: SophiaIterator<unknown, string, Counter> = it
    void narrowed
  }

  // Snapshots.
  const snapshot = db.snapshot()
  const snap: SophiaSnapshot = snapshot instanceof SophiaSnapshot ? snapshot : new SophiaSnapshot({ owner: db }, { close () {} })
  const old: Counter | undefined = await db.get('a', { snapshot })
  await snapshot.close()

  // A sublevel with its own encodings.
  const tags = db.sublevel<string, string[]>('tags', { valueEncoding: 'json' })
  await tags.put('a', ['x'])
  const tagList: string[] | undefined = await tags.get('a')
  const nested = tags.sublevel<Buffer, number>('counts', { keyEncoding: 'buffer', valueEncoding: 'json' })
  await nested.put(Buffer.from('k'), 1)
  // @ts-expect-error the sublevel's values are string[]
  await tags.put('a', 'x')

  void [hwmKeys, s, counter, sync, many, has, hasMany, raw, bytes, buffer, unchecked, nowhere, badThreads, entries, keys, values, rawValues, next, iteratorClasses, snap, old, tagList]
  await db.close()
}

export async function transactions (db: SophiaLevel<string, Counter>): Promise<void> {
  const tags = db.sublevel<string, string[]>('tags', { valueEncoding: 'json' })
  const nested = tags.sublevel<string, number>('counts', { valueEncoding: 'json' })

  // Explicit.
  const tx: SophiaTransaction<string, Counter> = db.transaction()
  const a: Counter | undefined = await tx.get('a')
  const many: Array<Counter | undefined> = await tx.getMany(['a', 'b'])
  const has: boolean = await tx.has('a')
  const hasMany: boolean[] = await tx.hasMany(['a'])
  await tx.put('a', { n: (a?.n ?? 0) + 1 })
  await tx.del('b')
  const put: TransactionPutOptions<string, string[]> = { sublevel: tags, valueEncoding: 'json' }
  await tx.put('a', ['y'], put)
  await tx.put('c', 3, { sublevel: nested })
  const del: TransactionDelOptions<string> = { sublevel: tags }
  await tx.del('a', del)
  const target: TransactionTargetOptions = { db }
  const inTags: string[] | undefined = await tx.get<string, string[]>('a', { sublevel: tags })
  const raw: string | undefined = await tx.get<string, string>('a', { ...target, valueEncoding: 'utf8' })
  const txEntries: Array<[string, Counter]> = await tx.iterator({ gte: 'a' }).all()
  const txKeys: string[] = await tx.keys().all()
  const txValues: Counter[] = await tx.values().all()
  const open: boolean = tx.open
  const commit: TransactionCommitOptions = { sync: true }
  await tx.commit(commit)
  // @ts-expect-error sync is a boolean
  await db.transaction().commit({ sync: 1 })
  // @ts-expect-error the value type is Counter
  await db.transaction().put('a', 'not a counter')

  // Reads of a transaction through the database's own methods.
  const viaDb: Counter | undefined = await db.get('a', { transaction: tx })

  // `await using` rolls back unless committed.
  {
    await using scoped = db.transaction()
    await scoped.put('x', { n: 0 })
  }

  // Managed: the callback's result, retries and sync.
  const options: ManagedTransactionOptions = { retries: 3, sync: false }
  const total: number = await db.transaction(async (t) => {
    const current = await t.get('a')
    await t.put('a', { n: (current?.n ?? 0) + 1 })
    return current?.n ?? 0
  }, options)
  const label: string = await db.transaction((t) => typeof t.db)
  // @ts-expect-error retries is a number
  await db.transaction(async () => 1, { retries: 'many' })
  // @ts-expect-error the callback resolves to a number, not a string
  const wrong: string = await db.transaction(async () => 1)
  await db.transaction(async (t) => {
    const v = await t.get('a')
    // @ts-expect-error v may be undefined
    return v.n
  })

  void [many, has, hasMany, inTags, raw, txEntries, txKeys, txValues, open, viaDb, total, label, wrong]
}

export async function environments (): Promise<void> {
  const settings: EnvironmentSettingsOptions = { threads: 2, sync: false }
  const options: EnvironmentOptions = { ...settings, createIfMissing: true, errorIfExists: false }
  const env = new SophiaEnv('./env', options)
  const storage: StorageOptions = { compression: 'none', nodeSize: 64 * 1024 * 1024 }
  const users = env.database<string, { name: string }>('users', { valueEncoding: 'json', ...storage })
  const totals = env.database<string, number>('totals', { valueEncoding: 'json', compression: 'zstd' })
  const usersDb: SophiaLevel<string, { name: string }> = users
  // @ts-expect-error not a compression Sophia knows
  env.database('other', { compression: 'gzip' })
  // @ts-expect-error lz4 is refused: Sophia 2.2's lz4 corrupts values
  env.database('lz4', { compression: 'lz4' })
  await env.open()
  const status: 'open' | 'closed' = env.status
  const location: string = env.location

  const tx: SophiaTransaction<unknown, unknown> = env.transaction()
  await tx.put('u1', { name: 'Ann' }, { db: users })
  await tx.commit()
  const count: number = await env.transaction(async (t) => {
    await t.put('u2', { name: 'Bo' }, { db: users })
    await t.put('count', 2, { db: totals })
    return 2
  }, { retries: 1 })
  const name: string | undefined = (await users.get('u1'))?.name
  await env.close()
  void [usersDb, status, location, count, name]
}

export function callbacks (db: SophiaLevel<string, Counter>): void {
  const view: CallbackDatabase<string, Counter> = withCallbacks(db)
  const done: Callback = (err) => { if (err) throw err }
  view.open(done)
  view.put('a', { n: 1 }, done)
  view.get('a', (err, value) => {
    if (err) return
    // @ts-expect-error value may be undefined
    const n: number = value.n
    const m: number | undefined = value?.n
    void n; void m
  })
  view.get<string, string>('a', { valueEncoding: 'utf8' }, (err, value) => { void err; void value })
  view.getMany(['a'], (err, values) => { void err; void values })
  view.batch([{ type: 'put', key: 'b', value: { n: 2 } }], done)
  view.del('a', done)
  view.clear({ gte: 'a' }, done)
  const iterator: CallbackIterator<string, Counter> = view.iterator({ limit: 1 })
  iterator.next((err, key, value) => { void err; void key; void value })
  iterator.nextv(10, (err, items) => { void err; const first: [string, Counter] | undefined = items?.[0]; void first })
  iterator.seek('a')
  iterator.close(done)
  const keys: CallbackKeyIterator<string> = view.keys()
  keys.all((err, all) => { void err; void all })
  const values: CallbackValueIterator<string, Counter> = view.values()
  values.close(done)
  // @ts-expect-error the value type is Counter
  view.put('a', 'not a counter', done)
  // @ts-expect-error not a database
  withCallbacks({ get () {} })

  const tags = db.sublevel<string, string[]>('tags', { valueEncoding: 'json' })
  const tagView: CallbackDatabase<string, string[]> = withCallbacks(tags)
  tagView.put('a', ['x'], done)
  view.close(done)
}

export async function sophiaFeatures (): Promise<void> {
  // Multi-part keys, expiry and prefixes.
  const schema: KeyPart[] = [{ name: 'user', type: 'string' }, { name: 'seq', type: 'u32' }, { name: 'at', type: 'u64_rev' }]
  const events = new SophiaLevel<KeyParts, string>('./events', { keySchema: schema, expire: 3600, expirePeriod: 60 })
  await events.put(['alice', 1, 2n], 'x')
  const recent: KeyParts[] = await events.keys({ prefix: ['alice'], limit: 10 }).all()
  const byRange: Array<[KeyParts, string]> = await events.iterator({ gte: ['alice', 0], lt: ['bob'] }).all()
  await events.clear({ prefix: ['alice'] })
  // @ts-expect-error a key part type is one of Sophia's
  const badSchema: KeyPart[] = [{ name: 'n', type: 'i32' }]
  // @ts-expect-error expire is a number of seconds
  const badExpire = new SophiaLevel('./x', { expire: '1h' })

  const db = new SophiaLevel('./db')
  const users: string[] = await db.keys({ prefix: 'user:' }).all()
  const prefix: PrefixOption<string> = { prefix: 'user:' }
  await db.clear(prefix)
  // @ts-expect-error a prefix scan's keys are of the prefix's type
  const wrongKeys: number[] = await db.keys({ prefix: 'user:' }).all()
  const sublevel = db.sublevel('users') as SophiaSublevel<typeof db, string | Buffer | Uint8Array, string, string>
  const inSublevel: string[] = await sublevel.keys({ prefix: 'a' }).all()

  // Maintenance.
  await db.checkpoint()
  await db.compact()
  await db.gc()
  const env = new SophiaEnv('./env')
  await env.checkpoint()
  await env.compact()
  await env.gc()
  void [recent, byRange, badSchema, badExpire, users, wrongKeys, inSublevel]
}
