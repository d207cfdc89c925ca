import ModuleError = require('module-error')
import { Buffer } from 'buffer'
import type { KeyPart } from './options'

/** A key of a database with a keySchema: its parts, in order. */
export type KeyParts = Array<string | number | bigint | Uint8Array>

const WIDTHS: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8 }

interface PartCodec {
  name: string
  // Bytes of a number part; 0 for a string.
  width: number
  reverse: boolean
  binary: boolean
}

function invalidKey<T extends Error> (ErrorClass: new (message: string) => T, message: string): T {
  const error = new ErrorClass(message)
  ;(error as T & { code: string }).code = 'LEVEL_INVALID_KEY'
  return error
}

/** A key encoding as level-transcoder takes it: its own properties, not a prototype's. */
export interface KeySchemaEncoding {
  name: string
  format: 'buffer'
  encode: (key: unknown) => Buffer
  decode: (bytes: Buffer) => KeyParts
}

/**
 * The key encoding of a database with a keySchema: arrays of parts to and
 * from the byte strings the native layer handles (binding/schema.h has the
 * format, whose bytewise order is Sophia's order of the parts). Encodes
 * fewer parts than the schema has too, as range bounds and prefixes: such a
 * key sorts before every key it begins. Writes and point reads of one are a
 * LEVEL_INVALID_KEY error from the native layer.
 */
export function keySchemaEncoding (schema: KeyPart[]): KeySchemaEncoding {
  const parts: PartCodec[] = schema.map((part) => ({
    name: part.name,
    width: WIDTHS[part.type.replace('_rev', '')] ?? 0,
    reverse: part.type.endsWith('_rev'),
    binary: part.binary === true
  }))
  return {
    name: 'sophia-key-schema',
    format: 'buffer',
    encode: (key) => encodeKey(parts, key),
    decode: (bytes) => decodeKey(parts, bytes)
  }
}

function encodeKey (parts: PartCodec[], key: unknown): Buffer {
  if (!Array.isArray(key)) {
    throw invalidKey(TypeError, 'A key of a database with a keySchema must be an array of its parts')
  }
  if (key.length > parts.length) {
    throw invalidKey(RangeError, `Key has ${key.length} parts, more than the ${parts.length} of the database's keySchema`)
  }
  const chunks: Buffer[] = []
  for (let i = 0; i < key.length; i++) {
    chunks.push(parts[i].width === 0 ? encodeString(parts[i], key[i]) : encodeNumber(parts[i], key[i]))
  }
  return Buffer.concat(chunks)
}

function decodeKey (parts: PartCodec[], bytes: Buffer): KeyParts {
  const key: KeyParts = []
  let offset = 0
  for (const part of parts) {
    if (part.width > 0) {
      let number = 0n
      for (let k = 0; k < part.width; k++) number = (number << 8n) | BigInt(bytes[offset + k])
      offset += part.width
      if (part.reverse) number = ((1n << BigInt(8 * part.width)) - 1n) ^ number
      key.push(part.width === 8 ? number : Number(number))
      continue
    }
    const raw: number[] = []
    while (offset < bytes.length && !(bytes[offset] === 0 && bytes[offset + 1] === 0)) {
      raw.push(bytes[offset])
      offset += bytes[offset] === 0 ? 2 : 1
    }
    offset += 2
    const buffer = Buffer.from(raw)
    key.push(part.binary ? buffer : buffer.toString('utf8'))
  }
  return key
}

function encodeString (part: PartCodec, value: unknown): Buffer {
  let bytes: Buffer
  if (typeof value === 'string') {
    bytes = Buffer.from(value, 'utf8')
  } else if (value instanceof Uint8Array) {
    bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  } else {
    throw invalidKey(TypeError, `Key part '${part.name}' must be a string or a Uint8Array`)
  }
  let zeros = 0
  for (const byte of bytes) if (byte === 0) zeros++
  const encoded = Buffer.alloc(bytes.length + zeros + 2)
  let offset = 0
  for (const byte of bytes) {
    encoded[offset++] = byte
    if (byte === 0) encoded[offset++] = 0xff
  }
  return encoded
}

function encodeNumber (part: PartCodec, value: unknown): Buffer {
  const max = (1n << BigInt(8 * part.width)) - 1n
  let number: bigint
  if (typeof value === 'bigint') {
    number = value
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw invalidKey(RangeError, `Key part '${part.name}' must be an integer from 0 to ${max} (a bigint beyond 2^53 - 1), not ${value}`)
    }
    number = BigInt(value)
  } else {
    throw invalidKey(TypeError, `Key part '${part.name}' must be a number or a bigint`)
  }
  if (number < 0n || number > max) {
    throw invalidKey(RangeError, `Key part '${part.name}' must be an integer from 0 to ${max}, not ${number}`)
  }
  if (part.reverse) number = max ^ number
  const encoded = Buffer.alloc(part.width)
  for (let k = part.width - 1; k >= 0; k--) {
    encoded[k] = Number(number & 0xffn)
    number >>= 8n
  }
  return encoded
}

/** The error for sublevels of a database with a keySchema. */
export function sublevelsNotSupported (): ModuleError {
  return new ModuleError('A database with a keySchema has no sublevels: a sublevel prefixes byte-string keys; use a leading key part instead', {
    code: 'LEVEL_NOT_SUPPORTED'
  })
}
