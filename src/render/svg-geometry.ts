import type { HistoryVersion } from './history-input.js'
import type { HistoryBox, HistoryLayout } from './history-layout.js'

/** A rectangle in SVG user units (pixels at the default scale). */
export interface SvgRect {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** Where the SVG format draws everything: the image size, the plot area, one rectangle per box. */
export interface SvgGeometry<V extends HistoryVersion = HistoryVersion> {
  readonly width: number
  readonly height: number
  readonly plot: SvgRect
  /** Left to right, the x of each column line (`columns + 1` of them). */
  readonly columnX: readonly number[]
  /** Bottom to top, the y of each row line (`rows + 1` of them): system time goes up. */
  readonly rowY: readonly number[]
  /** In the order of `layout.boxes`, inset so that neighbours' borders stay apart. */
  readonly boxes: readonly (SvgRect & { readonly box: HistoryBox<V> })[]
}

/** Font metrics estimated, not measured: no font is embedded, so sizes leave room for the widest common sans-serif. */
export const FONT_SIZE = 13
const CHAR_WIDTH = 7.6
const ROW_HEIGHT = 56
const MIN_COLUMN = 132
const INSET = 2
const MIN_PLOT = 300
const LEGEND_WIDTH = 560

/** Estimated width of `text` at {@link FONT_SIZE}. */
export function textWidth(text: string): number {
  return Math.ceil(Array.from(text).length * CHAR_WIDTH)
}

/**
 * Lays the grid out in pixels: columns wide enough for their tick labels
 * and the labels of the boxes over them, the image wide enough for `title`.
 */
export function svgGeometry<V extends HistoryVersion>(layout: HistoryLayout<V>, title: string): SvgGeometry<V> {
  const widths = Array.from({ length: layout.columns }, (_, c) => Math.max(MIN_COLUMN, textWidth(layout.validTicks[c] ?? '') + 28))
  const bySpan = [...layout.boxes].sort((a, b) => a.columns.to - a.columns.from - (b.columns.to - b.columns.from))
  for (const box of bySpan) {
    const needed = textWidth(box.label) + 40
    const has = widths.slice(box.columns.from, box.columns.to).reduce((sum, w) => sum + w, 0)
    const last = box.columns.to - 1
    if (has < needed) widths[last] = (widths[last] ?? 0) + needed - has
  }
  // A lone column would make a cramped picture of the first change.
  const lastColumn = layout.columns - 1
  const total = widths.reduce((sum, w) => sum + w, 0)
  if (lastColumn >= 0 && total < MIN_PLOT) widths[lastColumn] = (widths[lastColumn] ?? 0) + MIN_PLOT - total
  const left = Math.max(90, ...layout.systemTicks.map((tick) => textWidth(tick) + 24))
  const top = 74
  const plotWidth = widths.reduce((sum, w) => sum + w, 0)
  const plotHeight = layout.rows * ROW_HEIGHT
  const columnX = widths.reduce<number[]>((xs, w) => [...xs, (xs.at(-1) ?? left) + w], [left])
  const rowY = Array.from({ length: layout.rows + 1 }, (_, r) => top + plotHeight - r * ROW_HEIGHT)
  const boxes = layout.boxes.map((box) => {
    const x = (columnX[box.columns.from] ?? 0) + INSET
    const y = (rowY[box.rows.to] ?? 0) + INSET
    return Object.freeze({
      box,
      x,
      y,
      width: (columnX[box.columns.to] ?? 0) - INSET - x,
      height: (rowY[box.rows.from] ?? 0) - INSET - y,
    })
  })
  return Object.freeze({
    // The title is bold and larger than the labels.
    width: Math.max(left + plotWidth + 48, LEGEND_WIDTH + 20, Math.ceil(textWidth(title) * 1.35) + 24),
    height: top + plotHeight + 96,
    plot: Object.freeze({ x: left, y: top, width: plotWidth, height: plotHeight }),
    columnX: Object.freeze(columnX),
    rowY: Object.freeze(rowY),
    boxes: Object.freeze(boxes),
  })
}
