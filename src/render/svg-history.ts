import type { HistoryVersion } from './history-input.js'
import { CURRENT_SYSTEM, type HistoryBox, type HistoryLayout, UNBOUNDED_VALID } from './history-layout.js'
import { FONT_SIZE, type SvgRect, svgGeometry } from './svg-geometry.js'

/** Options of the SVG format. */
export interface SvgHistoryOptions {
  readonly title: string
}

/** The colours of the SVG format, fixed so that pictures in docs and tests agree. */
export const SVG_PALETTE = Object.freeze({
  background: '#ffffff',
  plot: '#f5f7fa',
  grid: '#dce2ea',
  axis: '#333333',
  currentFill: '#8fc1ee',
  currentStroke: '#1d5ca6',
  currentText: '#0b2545',
  supersededFill: '#e6e6e6',
  supersededHatch: '#b5b5b5',
  supersededStroke: '#8a8a8a',
  supersededText: '#404040',
  changedStroke: '#d9480f',
})

const P = SVG_PALETTE
const FONT = 'DejaVu Sans, Verdana, Arial, Helvetica, sans-serif'
const HATCH = 'bitemporal-superseded-hatch'
const FADE = 'bitemporal-open-fade'
const FADE_WIDTH = 28

/** `&`, `<`, `>` and quotes escaped for text and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${String(c.codePointAt(0))};`)
}

const n = (value: number): string => String(Math.round(value * 10) / 10)

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attributes === '' ? '' : ` ${attributes}`}>${escapeXml(content)}</text>`
}

const DEFS = [
  '<defs>',
  `<pattern id="${HATCH}" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">`,
  `<rect width="8" height="8" fill="${P.supersededFill}"/><line x1="0" y1="0" x2="0" y2="8" stroke="${P.supersededHatch}" stroke-width="2.5"/></pattern>`,
  `<linearGradient id="${FADE}" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="${P.plot}" stop-opacity="0"/><stop offset="1" stop-color="${P.plot}" stop-opacity="0.9"/></linearGradient>`,
  '</defs>',
].join('')

/**
 * The layout as a self-contained SVG document: no external fonts, CSS or
 * images, so it renders the same in a browser, an `<img>` and a rasteriser.
 * System time goes up, valid time to the right.
 */
export function svgHistory<V extends HistoryVersion>(layout: HistoryLayout<V>, options: SvgHistoryOptions): string {
  if (layout.boxes.length === 0) return emptySvg(options.title)
  const g = svgGeometry(layout, options.title)
  const { plot } = g
  const bottom = plot.y + plot.height
  const right = plot.x + plot.width
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(g.width)}" height="${n(g.height)}" viewBox="0 0 ${n(g.width)} ${n(g.height)}" font-family="${FONT}" font-size="${FONT_SIZE}">`,
    `<title>${escapeXml(options.title)}</title>`,
    DEFS,
    `<rect width="100%" height="100%" fill="${P.background}"/>`,
    text(12, 26, options.title, `font-size="16" font-weight="bold" fill="${P.axis}"`),
    `<rect x="${n(plot.x)}" y="${n(plot.y)}" width="${n(plot.width)}" height="${n(plot.height)}" fill="${P.plot}"/>`,
    ...g.columnX.map((x) => `<line x1="${n(x)}" y1="${n(plot.y)}" x2="${n(x)}" y2="${n(bottom)}" stroke="${P.grid}" stroke-dasharray="3 3"/>`),
    ...g.rowY.map((y) => `<line x1="${n(plot.x)}" y1="${n(y)}" x2="${n(right)}" y2="${n(y)}" stroke="${P.grid}" stroke-dasharray="3 3"/>`),
    ...g.boxes.map((rect) => boxSvg(rect.box, rect, rect.x + rect.width >= right - 4)),
    // Axes with arrow heads: valid time to the right, system time up.
    `<path d="M${n(plot.x)} ${n(plot.y - 16)}V${n(bottom)}H${n(right + 16)}" fill="none" stroke="${P.axis}" stroke-width="1.5"/>`,
    `<path d="M${n(right + 22)} ${n(bottom)}l-8 -4v8z" fill="${P.axis}"/><path d="M${n(plot.x)} ${n(plot.y - 22)}l-4 8h8z" fill="${P.axis}"/>`,
    ...layout.validTicks.map((tick, c) => {
      const x = g.columnX[c] ?? 0
      return `<line x1="${n(x)}" y1="${n(bottom)}" x2="${n(x)}" y2="${n(bottom + 5)}" stroke="${P.axis}"/>${text(x, bottom + 20, tick, `text-anchor="middle" fill="${P.axis}"${tick === UNBOUNDED_VALID ? ' font-size="16"' : ''}`)}`
    }),
    ...layout.systemTicks.map((tick, r) => {
      const y = g.rowY[r] ?? 0
      const weight = tick === CURRENT_SYSTEM ? ' font-weight="bold"' : ''
      return `<line x1="${n(plot.x - 5)}" y1="${n(y)}" x2="${n(plot.x)}" y2="${n(y)}" stroke="${P.axis}"/>${text(plot.x - 8, y + 4, tick, `text-anchor="end" fill="${P.axis}"${weight}`)}`
    }),
    text(plot.x + plot.width / 2, bottom + 42, 'valid time (effective) →', `text-anchor="middle" fill="${P.axis}" font-style="italic"`),
    text(12, plot.y - 26, 'system time (UTC) ↑', `fill="${P.axis}" font-style="italic"`),
    legend(12, bottom + 70, layout.boxes.some((box) => box.changed === true)),
    '</svg>',
  ]
  return `${parts.join('\n')}\n`
}

function boxSvg(box: HistoryBox, rect: SvgRect, reachesRight: boolean): string {
  const { x, y, width, height } = rect
  const current = box.current
  const stroke = box.changed === true ? P.changedStroke : current ? P.currentStroke : P.supersededStroke
  const x2 = x + width
  const y2 = y + height
  // Closed edges solid, open ones dashed: the top of a current version, the right side of one valid until further notice.
  const closed = [`M${n(x)} ${n(y)}V${n(y2)}H${n(x2)}`, box.openValid ? '' : `V${n(y)}`, current || box.openValid ? '' : `H${n(x)}`].join('')
  const closedTop = !current && box.openValid ? `M${n(x)} ${n(y)}H${n(x2)}` : ''
  const open = [current ? `M${n(x)} ${n(y)}H${n(x2)}` : '', box.openValid ? `M${n(x2)} ${n(y)}V${n(y2)}` : ''].join('')
  const strokeWidth = box.changed === true ? '3' : current ? '2' : '1.5'
  const system = `[${box.version.system.from}, ${box.version.system.to ?? 'now'})`
  const valid = `[${box.version.effective.from}, ${box.version.effective.to ?? '∞'})`
  return [
    `<g><title>${escapeXml(`${box.label}: valid ${valid}, system ${system}, ${current ? 'current' : 'superseded'}${box.changed === true ? ', changed in the diff' : ''}`)}</title>`,
    `<rect x="${n(x)}" y="${n(y)}" width="${n(width)}" height="${n(height)}" fill="${current ? P.currentFill : `url(#${HATCH})`}"/>`,
    box.openValid && reachesRight
      ? `<rect x="${n(x2 - FADE_WIDTH)}" y="${n(y)}" width="${FADE_WIDTH}" height="${n(height)}" fill="url(#${FADE})"/>`
      : '',
    `<path d="${closed}${closedTop}" fill="none" stroke="${stroke}" stroke-width="${strokeWidth}"/>`,
    open === '' ? '' : `<path d="${open}" fill="none" stroke="${stroke}" stroke-width="${strokeWidth}" stroke-dasharray="6 4"/>`,
    text(x + 10, y + 20, box.label, `fill="${current ? P.currentText : P.supersededText}"${current ? ' font-weight="bold"' : ''}`),
    '</g>',
  ].join('')
}

function legend(x: number, y: number, changed: boolean): string {
  return [
    changed
      ? `<rect x="${n(x + 470)}" y="${n(y - 11)}" width="22" height="14" fill="none" stroke="${P.changedStroke}" stroke-width="3"/>${text(x + 500, y, 'changed between the two instants', `fill="${P.axis}"`)}`
      : '',
    `<rect x="${n(x)}" y="${n(y - 11)}" width="22" height="14" fill="${P.currentFill}" stroke="${P.currentStroke}" stroke-width="2"/>`,
    text(x + 30, y, 'current knowledge', `fill="${P.axis}"`),
    `<rect x="${n(x + 160)}" y="${n(y - 11)}" width="22" height="14" fill="url(#${HATCH})" stroke="${P.supersededStroke}" stroke-width="1.5"/>`,
    text(x + 190, y, 'superseded', `fill="${P.axis}"`),
    `<line x1="${n(x + 290)}" y1="${n(y - 4)}" x2="${n(x + 318)}" y2="${n(y - 4)}" stroke="${P.axis}" stroke-width="2" stroke-dasharray="6 4"/>`,
    text(x + 326, y, 'open end (∞, now)', `fill="${P.axis}"`),
    text(x, y + 20, 'Ticks are the distinct dates and system times of the history, evenly spaced: not to scale.', `fill="${P.axis}" font-size="11"`),
  ].join('\n')
}

function emptySvg(title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="140" viewBox="0 0 480 140" font-family="${FONT}" font-size="${FONT_SIZE}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="${P.background}"/>`,
    text(12, 26, title, `font-size="16" font-weight="bold" fill="${P.axis}"`),
    `<rect x="12" y="44" width="456" height="80" fill="${P.plot}" stroke="${P.grid}"/>`,
    text(240, 89, 'No versions: nothing has been recorded for this key.', `text-anchor="middle" fill="${P.axis}"`),
    '</svg>',
    '',
  ].join('\n')
}
