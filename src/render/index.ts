export type { HistoryVersion } from './history-input.js'
export { renderHistory, type RenderHistoryOptions } from './render-history.js'
export { type DiffPiece, renderDiff, type RenderDiffOptions } from './render-diff.js'
