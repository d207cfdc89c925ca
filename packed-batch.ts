// Batches are collected as flat [kind, key, value] arrays of encoded keys and
// values. Reading every key and value of such an array from native code costs
// several N-API calls per operation, which in batches of small entries took
// as long as the rest of the binding's work together. So the small keys and
// values are also copied here, in one pass, into one Buffer of frames that
// the binding reads directly (binding/batch_frames.h); larger fields, and
// anything that is not a string or a Uint8Array (which the binding then
// refuses with a TypeError), are left for the binding to read from the array.

/** Operation kinds in the flat arrays batches are collected in. */
export const BATCH_PUT = 0
export const BATCH_DEL = 1

// A frame: flags, the key's size, the value's size, then the fields copied.
const FRAME_PUT = 1 << 0
const FRAME_KEY_INLINE = 1 << 1
const FRAME_VALUE_INLINE = 1 << 2
const FRAME_HEADER_SIZE = 9
// Fields up to this size are copied while the frames stay within
// FRAMES_LIMIT, so a batch of large values is not copied a second time.
const INLINE_FIELD_LIMIT = 64 * 1024
const FRAMES_LIMIT = 16 * 1024 * 1024
// A string of n UTF-16 code units takes at most 3n bytes in UTF-8.
const UTF8_BYTES_PER_UNIT = 3
// The frames Buffer is reused by the next batch up to this size: the binding
// reads it synchronously, within the call.
const KEPT_SCRATCH_SIZE = 1024 * 1024

let scratch = Buffer.allocUnsafeSlow(64 * 1024)

/**
 * Packs the frames of `operations` ([kind, key, value] triples) into a
 * Buffer that is valid until the next call.
 */
export function packBatch (operations: unknown[]): Buffer {
  let frames = scratch
  let offset = 0

  // Makes room for `size` more bytes at `offset`.
  const reserve = (size: number): void => {
    if (offset + size <= frames.length) return
    const grown = Buffer.allocUnsafeSlow(Math.max(offset + size, frames.length * 2))
    frames.copy(grown, 0, 0, offset)
    frames = grown
  }

  // Copies `field` at `offset` if it is to be copied; answers its size in
  // bytes, or -1 if it is left in the array.
  const copyField = (field: unknown): number => {
    let size: number
    if (typeof field === 'string') {
      const worst = field.length * UTF8_BYTES_PER_UNIT
      if (worst > INLINE_FIELD_LIMIT || offset + worst > FRAMES_LIMIT) return -1
      reserve(worst)
      size = frames.write(field, offset, 'utf8')
    } else if (field instanceof Uint8Array) {
      size = field.length
      if (size > INLINE_FIELD_LIMIT || offset + size > FRAMES_LIMIT) return -1
      reserve(size)
      frames.set(field, offset)
    } else {
      return -1
    }
    offset += size
    return size
  }

  for (let j = 0; j < operations.length; j += 3) {
    reserve(FRAME_HEADER_SIZE)
    const header = offset
    offset += FRAME_HEADER_SIZE
    let flags = 0
    const keySize = copyField(operations[j + 1])
    if (keySize >= 0) flags |= FRAME_KEY_INLINE
    let valueSize = -1
    if (operations[j] === BATCH_PUT) {
      flags |= FRAME_PUT
      valueSize = copyField(operations[j + 2])
      if (valueSize >= 0) flags |= FRAME_VALUE_INLINE
    }
    frames[header] = flags
    frames.writeUInt32LE(Math.max(keySize, 0), header + 1)
    frames.writeUInt32LE(Math.max(valueSize, 0), header + 5)
  }

  if (frames !== scratch && frames.length <= KEPT_SCRATCH_SIZE) scratch = frames
  return frames.subarray(0, offset)
}
