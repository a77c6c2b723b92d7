export type { Change, ChangeAudit, ChangeKind } from './change.js'
export type { ChangesOptions } from './changes-options.js'
export { type CombinedPeriod, combineTimelines, type CombineTimelinesOptions, type TimelineSide } from './combine-timelines.js'
export type { StreamOptions } from './cursor-batches.js'
