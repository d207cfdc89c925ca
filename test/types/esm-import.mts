// The types an ESM consumer gets from `import ... from 'sophia-level'`.

import { SophiaLevel, SophiaEnv, withCallbacks } from 'sophia-level'
import type { CallbackDatabase } from 'sophia-level'

const db = new SophiaLevel<string, { n: number }>('./esm-db', { valueEncoding: 'json' })
const n: number | undefined = (await db.get('a'))?.n
const env: SophiaEnv = new SophiaEnv('./esm-env')
const view: CallbackDatabase<string, { n: number }> = withCallbacks(db)
export { n, env, view }
