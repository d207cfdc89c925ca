import { AbstractChainedBatch } from 'abstract-level'
import type { Bytes } from './native'
import { BatchPacker } from './packed-batch'

export type BatchWriter = (packer: BatchPacker, options: { sync?: boolean }) => Promise<void>

/**
 * Packs operations as they are added, as the native batch takes them, and
 * commits them in one Sophia transaction on write().
 */
export class SophiaChainedBatch<TDatabase, K, V> extends AbstractChainedBatch<TDatabase, K, V> {
  readonly #packer = new BatchPacker()
  readonly #write: BatchWriter

  constructor (db: TDatabase, write: BatchWriter) {
    super(db)
    this.#write = write
  }

  _put (key: Bytes, value: Bytes): void {
    this.#packer.put(key, value)
  }

  _del (key: Bytes): void {
    this.#packer.del(key)
  }

  _clear (): void {
    this.#packer.clear()
  }

  async _write (options: { sync?: boolean }): Promise<void> {
    await this.#write(this.#packer, options)
  }

  async _close (): Promise<void> {
    this.#packer.clear()
  }
}
