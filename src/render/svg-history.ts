import type { HistoryVersion } from './history-input.js'
import type { HistoryLayout } from './history-layout.js'

/** Options of the SVG format. */
export interface SvgHistoryOptions {
  readonly title: string
}

export function svgHistory<V extends HistoryVersion>(_layout: HistoryLayout<V>, options: SvgHistoryOptions): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10"><title>${options.title}</title></svg>\n`
}
