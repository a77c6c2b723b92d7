import { escapeXml, SVG_PALETTE } from './svg-history.js'
import { FONT_SIZE, textWidth } from './svg-geometry.js'
import type { StepsLayout } from './steps-layout.js'

/** One colour per group, in order; more groups than colours reuse them. */
export const STEP_COLORS = Object.freeze(['#1d5ca6', '#d9731a', '#2e8b57', '#a03a8c', '#7a6a00', '#444444'])

const FONT = 'DejaVu Sans, Verdana, Arial, Helvetica, sans-serif'
const PLOT_WIDTH = 640
const PLOT_HEIGHT = 220
const n = (value: number): string => String(Math.round(value * 10) / 10)

/** Where {@link svgSteps} draws: the plot's corner, the image's size, and plot units ([0, 1], y up) to pixels. */
export interface StepsFrame {
  readonly left: number
  readonly top: number
  readonly legend: number
  readonly width: number
  readonly height: number
  readonly px: (x: number) => number
  readonly py: (y: number) => number
}

/** The frame of a step chart: the plot right of the widest value label, a legend below it when there are groups. */
export function stepsFrame(layout: StepsLayout, title: string): StepsFrame {
  const left = Math.max(70, ...layout.yTicks.map((tick) => textWidth(tick.label) + 24))
  const top = 60
  const legend = layout.paths.length > 1 || (layout.paths[0]?.group ?? '') !== '' ? 24 * layout.paths.length : 0
  return {
    left,
    top,
    legend,
    width: Math.max(left + PLOT_WIDTH + 60, Math.ceil(textWidth(title) * 1.35) + 24),
    height: top + PLOT_HEIGHT + 60 + legend,
    px: (x) => left + x * PLOT_WIDTH,
    py: (y) => top + PLOT_HEIGHT - y * PLOT_HEIGHT,
  }
}

/**
 * A step chart as a self-contained SVG document, in the palette of the
 * history diagram: one line per group, each level held over its period,
 * with a tooltip per level giving its exact period and value.
 */
export function svgSteps(layout: StepsLayout, title: string): string {
  const { left, top, legend, width, height, px, py } = stepsFrame(layout, title)
  const bottom = top + PLOT_HEIGHT
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family="${FONT}" font-size="${String(FONT_SIZE)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="${SVG_PALETTE.background}"/>`,
    `<text x="12" y="26" font-size="16" font-weight="bold" fill="${SVG_PALETTE.axis}">${escapeXml(title)}</text>`,
    `<rect x="${n(left)}" y="${n(top)}" width="${n(PLOT_WIDTH)}" height="${n(PLOT_HEIGHT)}" fill="${SVG_PALETTE.plot}"/>`,
    ...layout.xTicks.map(
      (tick) =>
        `<line x1="${n(px(tick.x))}" y1="${n(top)}" x2="${n(px(tick.x))}" y2="${n(bottom + 5)}" stroke="${SVG_PALETTE.grid}" stroke-dasharray="3 3"/>` +
        `<text x="${n(px(tick.x))}" y="${n(bottom + 20)}" text-anchor="middle" fill="${SVG_PALETTE.axis}">${escapeXml(tick.label)}</text>`,
    ),
    ...layout.yTicks.map(
      (tick) =>
        `<line x1="${n(left - 5)}" y1="${n(py(tick.y))}" x2="${n(left + PLOT_WIDTH)}" y2="${n(py(tick.y))}" stroke="${SVG_PALETTE.grid}" stroke-dasharray="3 3"/>` +
        `<text x="${n(left - 8)}" y="${n(py(tick.y) + 4)}" text-anchor="end" fill="${SVG_PALETTE.axis}">${escapeXml(tick.label)}</text>`,
    ),
    // The axes first: a level of zero is drawn over the x axis, in its group's colour.
    `<path d="M${n(left)} ${n(top - 10)}V${n(bottom)}H${n(left + PLOT_WIDTH + 10)}" fill="none" stroke="${SVG_PALETTE.axis}" stroke-width="1.5"/>`,
    ...layout.paths.map((path, index) => {
      const color = STEP_COLORS[index % STEP_COLORS.length] ?? SVG_PALETTE.axis
      // A group's steps meet end to start: up or down at each boundary, then along the period.
      const d = path.runs.map((run, at) => `${at === 0 ? `M${n(px(run.x0))} ${n(py(run.y))}` : `V${n(py(run.y))}`}H${n(px(run.x1))}`).join('')
      const tips = path.runs.map(
        (run) =>
          `<rect x="${n(px(run.x0))}" y="${n(py(run.y) - 6)}" width="${n(Math.max(1, px(run.x1) - px(run.x0)))}" height="12" fill="transparent"><title>${escapeXml(
            `${path.group === '' ? '' : `${path.group}: `}${run.label} over [${run.from}, ${run.to})`,
          )}</title></rect>`,
      )
      return `<g><path d="${d}" fill="none" stroke="${color}" stroke-width="2.5"/>${tips.join('')}</g>`
    }),
    ...(legend === 0
      ? []
      : layout.paths.map((path, index) => {
          const y = bottom + 44 + index * 24
          const color = STEP_COLORS[index % STEP_COLORS.length] ?? SVG_PALETTE.axis
          return `<line x1="${n(left)}" y1="${n(y - 4)}" x2="${n(left + 24)}" y2="${n(y - 4)}" stroke="${color}" stroke-width="2.5"/><text x="${n(left + 32)}" y="${n(y)}" fill="${SVG_PALETTE.axis}">${escapeXml(path.group)}</text>`
        })),
    '</svg>',
  ]
  return `${parts.join('\n')}\n`
}
