export type { AggregateFilter, AggregateOptions, AggregateStep } from './aggregate/aggregate-options.js'
export type { Change, ChangeAudit, ChangeKind } from './change.js'
export type { ChangesOptions } from './changes-options.js'
export {
  type CombinedPeriod,
  type CombinedSidesPeriod,
  type CombineSidesOptions,
  combineTimelines,
  type CombineTimelinesOptions,
  type TimelineSide,
} from './combine-timelines.js'
export type { StreamOptions } from './cursor-batches.js'
export type { DiffAudit, DiffOptions, DiffRow } from './diff/index.js'
