import { AbstractSublevel } from 'abstract-level'
import type {
  AbstractClearOptions,
  AbstractIterator,
  AbstractIteratorOptions,
  AbstractKeyIterator,
  AbstractKeyIteratorOptions,
  AbstractSublevelOptions,
  AbstractValueIterator,
  AbstractValueIteratorOptions
} from 'abstract-level'
import { encodePrefixOption } from './prefix'
import type { PrefixOption } from './prefix'

/**
 * A sublevel of a SophiaLevel: abstract-level's, plus the `prefix` option
 * of iterator(), keys(), values() and clear(), which it encodes and puts
 * behind its own prefix before handing it down.
 */
export class SophiaSublevel<TDatabase, TFormat, KDefault, VDefault>
  extends AbstractSublevel<TDatabase, TFormat, KDefault, VDefault> {
  override iterator (): AbstractIterator<this, KDefault, VDefault>
  override iterator<K = KDefault, V = VDefault> (options: AbstractIteratorOptions<K, V> & PrefixOption<K>): AbstractIterator<this, K, V>
  override iterator (options?: any): any {
    return super.iterator(encodePrefixOption(this, options))
  }

  override keys (): AbstractKeyIterator<this, KDefault>
  override keys<K = KDefault> (options: AbstractKeyIteratorOptions<K> & PrefixOption<K>): AbstractKeyIterator<this, K>
  override keys (options?: any): any {
    return super.keys(encodePrefixOption(this, options))
  }

  override values (): AbstractValueIterator<this, KDefault, VDefault>
  override values<K = KDefault, V = VDefault> (options: AbstractValueIteratorOptions<K, V> & PrefixOption<K>): AbstractValueIterator<this, K, V>
  override values (options?: any): any {
    return super.values(encodePrefixOption(this, options))
  }

  override clear (): Promise<void>
  override clear<K = KDefault> (options: AbstractClearOptions<K> & PrefixOption<K>): Promise<void>
  override async clear (options?: any): Promise<void> {
    return super.clear(encodePrefixOption(this, options))
  }

  _sublevel (name: string, options: AbstractSublevelOptions<any, any>): SophiaSublevel<this, TFormat, any, any> {
    return new SophiaSublevel(this, name, options)
  }
}
