// A batch crosses into the binding as one Buffer of frames, one frame per
// operation (binding/batch_frames.h), and an array of the fields left out of
// the frames. Reading every key and value of an array of operations from
// native code costs several N-API calls per field, which in batches of small
// entries took as long as the rest of the binding's work together; so small
// keys and values are copied into the frames as the operations are added.
// Larger fields, and anything that is not a string or a Uint8Array (which the
// binding then refuses with a TypeError), go in the array.

import { Buffer } from 'buffer'

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
const MIN_FRAMES_SIZE = 4096
// clear() lets go of a larger buffer.
const KEPT_FRAMES_SIZE = 1024 * 1024
const NO_FRAMES = Buffer.alloc(0)

/** Packs a batch's operations, in order, for the native batch(). */
export class BatchPacker {
  #frames: Buffer = NO_FRAMES
  #offset = 0
  #fields: unknown[] = []

  put (key: unknown, value: unknown): void {
    const header = this.#startFrame()
    const keySize = this.#copy(key)
    const valueSize = this.#copy(value)
    this.#endFrame(header, FRAME_PUT, keySize, valueSize)
  }

  del (key: unknown): void {
    const header = this.#startFrame()
    this.#endFrame(header, 0, this.#copy(key), -1)
  }

  /** The frames so far: a view that the next put(), del() or clear() may overwrite. */
  frames (): Buffer {
    return this.#frames.subarray(0, this.#offset)
  }

  /** The fields left out of the frames, in the order of their operations. */
  fields (): unknown[] {
    return this.#fields
  }

  clear (): void {
    this.#offset = 0
    this.#fields = []
    if (this.#frames.length > KEPT_FRAMES_SIZE) this.#frames = NO_FRAMES
  }

  #startFrame (): number {
    this.#reserve(FRAME_HEADER_SIZE)
    const header = this.#offset
    this.#offset += FRAME_HEADER_SIZE
    return header
  }

  // Sizes of -1: the field is in the array (or, for a value, absent).
  #endFrame (header: number, flags: number, keySize: number, valueSize: number): void {
    const frames = this.#frames
    if (keySize >= 0) flags |= FRAME_KEY_INLINE
    if (valueSize >= 0) flags |= FRAME_VALUE_INLINE
    frames[header] = flags
    writeSize(frames, header + 1, keySize)
    writeSize(frames, header + 5, valueSize)
  }

  // Copies the field into the frames if it is to be copied, answering its
  // size in bytes; otherwise adds it to the array and answers -1.
  #copy (field: unknown): number {
    let size = -1
    if (typeof field === 'string') {
      const worst = field.length * UTF8_BYTES_PER_UNIT
      if (this.#fits(worst)) size = this.#frames.write(field, this.#offset, 'utf8')
    } else if (field instanceof Uint8Array) {
      if (this.#fits(field.length)) {
        this.#frames.set(field, this.#offset)
        size = field.length
      }
    }
    if (size < 0) {
      this.#fields.push(field)
      return -1
    }
    this.#offset += size
    return size
  }

  // Whether a field of up to `size` bytes goes in the frames; if so, makes
  // room for it.
  #fits (size: number): boolean {
    if (size > INLINE_FIELD_LIMIT || this.#offset + size > FRAMES_LIMIT) return false
    this.#reserve(size)
    return true
  }

  #reserve (size: number): void {
    const needed = this.#offset + size
    if (needed <= this.#frames.length) return
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.#frames.length * 2, MIN_FRAMES_SIZE))
    this.#frames.copy(grown, 0, 0, this.#offset)
    this.#frames = grown
  }
}

function writeSize (frames: Buffer, at: number, size: number): void {
  const bytes = size < 0 ? 0 : size
  frames[at] = bytes
  frames[at + 1] = bytes >>> 8
  frames[at + 2] = bytes >>> 16
  frames[at + 3] = bytes >>> 24
}

// Where prefetchFields() leaves a sum of what it read, so that the compiler
// cannot drop the reads.
let prefetchSink = 0

/**
 * Reads the first byte of every Uint8Array key and the first, middle and
 * last byte of every Uint8Array value of `operations` (every cache line of
 * a value of up to 128 bytes), in a loop that does nothing else. A caller's
 * keys and values are often not in the CPU cache: read here, their cache
 * misses overlap, where the copies into the frames, one operation after the
 * other, would wait for each in turn (batches of 1000 random keys: 1.10x).
 * A loop over the lines of longer values cost more than it saved, on
 * batches of 100-byte values (0.96x).
 */
export function prefetchFields (operations: readonly unknown[]): void {
  let sum = 0
  for (let i = 0; i < operations.length; i++) {
    const operation = operations[i]
    if (typeof operation !== 'object' || operation === null) continue
    const { key, value } = operation as { key?: unknown, value?: unknown }
    if (key instanceof Uint8Array && key.length > 0) sum += key[0]
    if (value instanceof Uint8Array && value.length > 0) sum += value[0] + value[value.length >>> 1] + value[value.length - 1]
  }
  prefetchSink ^= sum
}

let idlePacker: BatchPacker | null = new BatchPacker()

/**
 * Runs `pack` with a cleared packer; the packer is reused once `pack` has
 * returned, so whatever reads its frames must do so synchronously within.
 * An encoding's user code that writes a batch while another is being packed
 * gets a packer of its own.
 */
export function withPacker<T> (pack: (packer: BatchPacker) => T): T {
  const packer = idlePacker ?? new BatchPacker()
  idlePacker = null
  try {
    return pack(packer)
  } finally {
    packer.clear()
    idlePacker = packer
  }
}
