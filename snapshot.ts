import { AbstractSnapshot } from 'abstract-level'
import type { NativeSnapshot } from './native'

/**
 * An explicit snapshot: a Sophia cursor held open as a point-in-time view,
 * shared by the reads and iterators that name it.
 */
export class SophiaSnapshot extends AbstractSnapshot {
  /** @internal */
  readonly native: NativeSnapshot

  constructor (options: { owner: unknown }, native: NativeSnapshot) {
    // @ts-expect-error AbstractSnapshot's types omit its constructor(options).
    super(options)
    this.native = native
  }

  async _close (): Promise<void> {
    this.native.close()
  }
}
