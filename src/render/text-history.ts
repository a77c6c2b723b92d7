import type { HistoryVersion } from './history-input.js'
import type { HistoryBox, HistoryLayout } from './history-layout.js'

/** Options of the text format. */
export interface TextHistoryOptions {
  /** Heading line. */
  readonly title: string
  /** ANSI colours (current blue, superseded grey). Default: `false`, so the output is plain text anywhere. */
  readonly color?: boolean
}

// Current and superseded differ without colour: double borders and a blank
// inside versus single borders and a light shade, as on the SVG.
const STYLES = {
  current: { h: '═', v: '║', tl: '╔', tr: '╗', bl: '╚', br: '╝', fill: ' ', ansi: '\u001b[34m' },
  superseded: { h: '─', v: '│', tl: '┌', tr: '┐', bl: '└', br: '┘', fill: '░', ansi: '\u001b[90m' },
} as const
const RESET = '\u001b[0m'
const OPEN_H = '┄'
const OPEN_V = '┆'
const ROW_LINES = 3
const MIN_COLUMN = 8
const LEGEND = [
  '╔═╗ current knowledge   ┌─┐░ superseded   ┄↑ ┆→ open end (∞: valid until further notice, now: still current)',
  'Ticks are the distinct dates and system times of the history, evenly spaced: not to scale.',
]

/** Marks the label of a version a diff's changes asserted or retracted (`renderDiff`). */
export const CHANGED_MARK = '✱'
const CHANGED_LEGEND = `${CHANGED_MARK} asserted or retracted between the two instants of the diff`

type Style = (typeof STYLES)[keyof typeof STYLES]

/** A grid of characters, each with an optional ANSI colour. */
class Canvas {
  readonly #chars: string[][] = []
  readonly #colors: (string | undefined)[][] = []

  put(x: number, y: number, text: string, color?: string): void {
    Array.from(text).forEach((char, i) => {
      const row = (this.#chars[y] ??= [])
      const colors = (this.#colors[y] ??= [])
      for (let fill = row.length; fill < x + i; fill++) row[fill] = ' '
      row[x + i] = char
      colors[x + i] = color
    })
  }

  toString(color: boolean): string {
    return Array.from(this.#chars, (row: string[] | undefined, y) => {
      let line = ''
      let current: string | undefined
      ;(row ?? []).forEach((char, x) => {
        const wanted = color ? this.#colors[y]?.[x] : undefined
        if (wanted !== current) line += (current === undefined ? '' : RESET) + (wanted ?? '')
        current = wanted
        line += char
      })
      return current === undefined ? line.trimEnd() : `${line}${RESET}`
    }).join('\n')
  }
}

/**
 * Draws the layout as box-drawing characters, system time increasing
 * upward, valid time to the right: each version a box labelled with its
 * values, open ends dashed and running to the `∞` column or the `now` row.
 */
export function textHistory<V extends HistoryVersion>(layout: HistoryLayout<V>, options: TextHistoryOptions): string {
  const color = options.color ?? false
  if (layout.boxes.length === 0) return `${options.title}\n(no versions: nothing has been recorded for this key)\n`
  const widths = columnWidths(layout)
  const margin = Math.max(...layout.systemTicks.map((tick) => tick.length)) + 2
  const columnX = widths.reduce<number[]>((xs, width) => [...xs, (xs.at(-1) ?? margin) + width], [margin])
  const gridTop = 2
  const gridBottom = gridTop + layout.rows * ROW_LINES - 1
  // Row r (0 = earliest) occupies ROW_LINES lines counted up from the bottom.
  const rowTop = (row: number): number => gridBottom - (row + 1) * ROW_LINES + 1
  const canvas = new Canvas()
  canvas.put(0, 0, options.title)
  canvas.put(0, 1, 'system time (UTC) ↑')
  for (let y = gridTop; y <= gridBottom; y++) canvas.put(margin - 1, y, '│')
  layout.systemTicks.forEach((tick, row) => {
    const y = row < layout.rows ? rowTop(row) + ROW_LINES - 1 : rowTop(layout.rows - 1)
    canvas.put(margin - 2 - tick.length, y, tick)
    canvas.put(margin - 1, y, '┤')
  })
  for (const box of layout.boxes) drawBox(canvas, box, columnX, rowTop, color)
  const axisY = gridBottom + 1
  const right = columnX.at(-1) ?? margin
  canvas.put(margin - 1, axisY, `└${'─'.repeat(right - margin)}→ valid time (effective)`)
  layout.validTicks.forEach((tick, column) => {
    const x = column < layout.columns ? (columnX[column] ?? 0) : right - 1
    canvas.put(x, axisY, '┬')
    canvas.put(x, axisY + 1, tick)
  })
  const changed = layout.boxes.some((box) => box.changed === true)
  ;[...LEGEND, ...(changed ? [CHANGED_LEGEND] : [])].forEach((line, i) => {
    canvas.put(0, axisY + 3 + i, line)
  })
  return `${canvas.toString(color)}\n`
}

/** Wide enough for each column's tick label, then widened where a box's label needs more room. */
function columnWidths(layout: HistoryLayout): readonly number[] {
  const widths = Array.from({ length: layout.columns }, (_, column) => Math.max(MIN_COLUMN, (layout.validTicks[column]?.length ?? 0) + 2))
  const bySpan = [...layout.boxes].sort((a, b) => a.columns.to - a.columns.from - (b.columns.to - b.columns.from))
  for (const box of bySpan) {
    // Borders, a space either side, the label, and room to see the fill.
    const needed = Array.from(labelOf(box)).length + 6
    const has = widths.slice(box.columns.from, box.columns.to).reduce((sum, width) => sum + width, 0)
    const last = box.columns.to - 1
    if (has < needed) widths[last] = (widths[last] ?? 0) + needed - has
  }
  return widths
}

function drawBox(canvas: Canvas, box: HistoryBox, columnX: readonly number[], rowTop: (row: number) => number, color: boolean): void {
  const style: Style = box.current ? STYLES.current : STYLES.superseded
  const ansi = color ? style.ansi : undefined
  const left = columnX[box.columns.from] ?? 0
  const right = (columnX[box.columns.to] ?? 0) - 1
  const top = rowTop(box.rows.to - 1)
  const bottom = rowTop(box.rows.from) + ROW_LINES - 1
  const topEdge = box.current ? OPEN_H : style.h
  const width = right - left - 1
  // An open top carries an arrow up (still current), an open right side an
  // arrow right on the label's line (valid until further notice).
  const topLine = box.current ? topEdge.repeat(Math.floor(width / 2)) + '↑' + topEdge.repeat(width - Math.floor(width / 2) - 1) : topEdge.repeat(width)
  canvas.put(left, top, style.tl + topLine + (box.openValid ? topEdge : style.tr), ansi)
  for (let y = top + 1; y < bottom; y++) {
    const rightEdge = box.openValid ? (y === top + 1 ? '→' : OPEN_V) : style.v
    canvas.put(left, y, style.v + style.fill.repeat(width) + rightEdge, ansi)
  }
  canvas.put(left, bottom, style.bl + style.h.repeat(width) + (box.openValid ? style.h : style.br), ansi)
  canvas.put(left + 1, top + 1, ` ${labelOf(box)} `, color ? (box.changed === true ? '\u001b[1;31m' : '\u001b[1m') : undefined)
}

function labelOf(box: HistoryBox): string {
  return box.changed === true ? `${CHANGED_MARK} ${box.label}` : box.label
}
