export type { HistoryVersion } from './history-input.js'
export { renderHistory, type RenderHistoryOptions } from './render-history.js'
export { renderSteps, type RenderStepsOptions } from './render-steps.js'
export type { StepInput } from './steps-input.js'

export { type DiffPiece, renderDiff, type RenderDiffOptions } from './render-diff.js'
