import { Buffer } from 'buffer'
import type { AbstractLevel } from 'abstract-level'
import type { Bytes } from './native'

/**
 * A `prefix` option encoded into the bytes keys are stored as (a
 * sublevel's own prefix included). abstract-level hands options it does not
 * know down unchanged, through sublevels to the root database: this marks
 * the ones already encoded on the way.
 */
export class EncodedPrefix {
  constructor (readonly bytes: Buffer) {}
}

/** The `prefix` option of iterator(), keys(), values() and clear(). */
export interface PrefixOption<K> {
  /**
   * Only keys whose encoded form starts with the encoded form of this one;
   * narrows gt/gte/lt/lte when given with them.
   */
  prefix?: K | undefined
}

function asBuffer (bytes: Bytes): Buffer {
  return typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * The options with their `prefix` encoded by the database's (or the
 * options') key encoding, behind the database's own prefix if it is a
 * sublevel. Anything else comes back as it was.
 */
export function encodePrefixOption<T> (db: AbstractLevel<any, any, any>, options: T): T {
  if (typeof options !== 'object' || options === null) return options
  const prefix = (options as { prefix?: unknown }).prefix
  if (prefix === undefined || prefix instanceof EncodedPrefix) return options
  if (prefix === null) throw new TypeError("The 'prefix' option must be a key, not null")
  const keyEncoding = db.keyEncoding((options as { keyEncoding?: any }).keyEncoding)
  const own = asBuffer(keyEncoding.encode(prefix) as Bytes)
  return { ...options, prefix: new EncodedPrefix(db.prefixKey(own, 'buffer')) }
}

// The least byte string greater than every string starting with `prefix`,
// or undefined if there is none (the prefix is empty or all 0xff bytes).
function successor (prefix: Buffer): Buffer | undefined {
  let end = prefix.length
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return undefined
  const bound = Buffer.from(prefix.subarray(0, end))
  bound[end - 1]++
  return bound
}

/** Range bounds as openNativeIterator() reads them. */
export interface Bounds {
  gt?: Bytes
  gte?: Bytes
  lt?: Bytes
  lte?: Bytes
}

/**
 * Narrows a range to the keys starting with `prefix`: the tighter of the
 * range's lower bound and the prefix, and of its upper bound and the
 * prefix's successor. `gte` wins over `gt` and `lte` over `lt`, as in
 * openNativeIterator().
 */
export function narrowToPrefix (range: Bounds, prefix: Buffer): Bounds {
  const narrowed: Bounds = {}
  const lower = range.gte ?? range.gt
  if (lower !== undefined && Buffer.compare(asBuffer(lower), prefix) >= 0) {
    if (range.gte !== undefined) narrowed.gte = lower
    else narrowed.gt = lower
  } else {
    narrowed.gte = prefix
  }
  const upper = range.lte ?? range.lt
  const end = successor(prefix)
  if (upper !== undefined && (end === undefined || Buffer.compare(asBuffer(upper), end) < 0)) {
    if (range.lte !== undefined) narrowed.lte = upper
    else narrowed.lt = upper
  } else if (end !== undefined) {
    narrowed.lt = end
  }
  return narrowed
}
