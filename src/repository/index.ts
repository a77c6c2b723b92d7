export { bitemporal } from './bitemporal.js'
export type { DatabaseInput } from '../statement/database-input.js'
export {
  type AsOfOptions,
  type LoadVersion,
  type Portion,
  Repository,
  type RepositoryOptions,
  type TimelineOptions,
  type WriteOptions,
  type WriteResult,
} from './repository.js'
export type { EffectiveRange, SystemRange, Version, VersionAudit } from '../codec/decode-version.js'
export type { NewValues, ValuesPatch } from '../codec/write-values.js'
export type { LoadOptions, LoadResult } from '../write/load-versions.js'
