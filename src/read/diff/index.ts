export type { DiffAudit, DiffRow } from './diff.js'
export type { DiffOptions } from './diff-options.js'
