import { AbstractChainedBatch } from 'abstract-level'
import type { Bytes } from './native'
import { BATCH_DEL, BATCH_PUT } from './packed-batch'

export type BatchWriter = (operations: unknown[], options: { sync?: boolean }) => Promise<void>

/**
 * Collects operations in the flat form the native batch takes, and commits
 * them in one Sophia transaction on write().
 */
export class SophiaChainedBatch<TDatabase, K, V> extends AbstractChainedBatch<TDatabase, K, V> {
  #operations: unknown[] = []
  readonly #write: BatchWriter

  constructor (db: TDatabase, write: BatchWriter) {
    super(db)
    this.#write = write
  }

  _put (key: Bytes, value: Bytes): void {
    this.#operations.push(BATCH_PUT, key, value)
  }

  _del (key: Bytes): void {
    this.#operations.push(BATCH_DEL, key, undefined)
  }

  _clear (): void {
    this.#operations = []
  }

  async _write (options: { sync?: boolean }): Promise<void> {
    await this.#write(this.#operations, options)
  }

  async _close (): Promise<void> {
    this.#operations = []
  }
}
