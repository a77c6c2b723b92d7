import { Resvg } from '@resvg/resvg-js'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import type { Version } from '../../src/codec/decode-version.js'
import { renderHistory } from '../../src/render/index.js'
import { checkVersions } from '../../src/render/history-input.js'
import { layoutHistory } from '../../src/render/history-layout.js'
import { defaultLabel } from '../../src/render/render-history.js'
import { svgGeometry, type SvgGeometry } from '../../src/render/svg-geometry.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'

// The tax-rate story written through the repository to a real PostgreSQL,
// its history drawn as SVG and rasterised: the checks are on pixels, so a
// picture that is valid markup but shows the wrong thing fails.

const taxRates = defineTable({ name: 'tax_rates', key: { state_id: 'integer', tax_type: 'text' }, values: { rate: 'numeric not null' } })
const key = { state_id: 1, tax_type: 'income_tax' }

type Rgb = readonly [number, number, number]
const hex = (color: string): Rgb => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as unknown as Rgb
// The documented palette (docs/render.md), written out so that a change to it shows here.
const WHITE = hex('#ffffff')
const PLOT = hex('#f5f7fa')
const CURRENT = hex('#8fc1ee')
const HATCH_GROUND = hex('#e6e6e6')
const HATCH_LINE = hex('#b5b5b5')

interface Raster {
  readonly width: number
  readonly height: number
  at(x: number, y: number): Rgb
}

function rasterise(svg: string): Raster {
  const image = new Resvg(svg, { background: 'rgba(0,0,0,0)' }).render()
  const { pixels, width, height } = image
  return {
    width,
    height,
    at(x, y) {
      const i = (Math.round(y) * width + Math.round(x)) * 4
      // Fully opaque everywhere: the SVG paints its own background.
      expect(pixels[i + 3], `alpha at ${x},${y}`).toBe(255)
      return [pixels[i] ?? -1, pixels[i + 1] ?? -1, pixels[i + 2] ?? -1]
    },
  }
}

const near = (a: Rgb, b: Rgb, tolerance = 3): boolean => a.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= tolerance)

describe('renderHistory of a history read from PostgreSQL', () => {
  const database = useTestDatabase()
  let versions: readonly Version<typeof taxRates>[]
  const systemTimes: string[] = []

  beforeAll(async () => {
    const { db } = database()
    await install(db)
    await createTable(db, taxRates)
    const repository = bitemporal(db, taxRates)
    for (const [from, rate] of [['2023-01-01', '0.15'], ['2023-01-01', '0.19'], ['2022-12-01', '0.14'], ['2023-02-01', '0.25']] as const) {
      const { systemTime } = await repository.set(key, { from }, { rate })
      if (systemTime === null) throw new Error(`set from ${from} rate ${rate} wrote nothing`)
      systemTimes.push(systemTime)
    }
    versions = await repository.history(key)
  })

  function geometry(): SvgGeometry {
    return svgGeometry(layoutHistory(checkVersions(versions), defaultLabel), 'History of state_id=1, tax_type=income_tax')
  }

  /** The centre of the rectangle of the version with `rate`, current or superseded. */
  function centre(rate: string, current: boolean): readonly [number, number] {
    const rect = geometry().boxes.find((b) => b.box.version.values['rate'] === rate && b.box.current === current)
    if (rect === undefined) throw new Error(`no ${current ? 'current' : 'superseded'} version with rate ${rate}`)
    return [rect.x + rect.width / 2, rect.y + rect.height / 2]
  }

  it('rasterises at the size the SVG declares', () => {
    const svg = renderHistory(versions, { format: 'svg' })
    const raster = rasterise(svg)
    const { width, height } = geometry()
    expect(svg).toContain(`width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`)
    expect([raster.width, raster.height]).toEqual([width, height])
  })

  it('paints current versions solid blue at the centres of their rectangles', () => {
    const raster = rasterise(renderHistory(versions, { format: 'svg' }))
    for (const rate of ['0.14', '0.19', '0.25']) {
      const [x, y] = centre(rate, true)
      expect(raster.at(x, y), `current rate ${rate} at ${x},${y}`).toEqual(CURRENT)
    }
  })

  it('hatches superseded versions grey: only the hatch colours around their centres, both of them', () => {
    const raster = rasterise(renderHistory(versions, { format: 'svg' }))
    for (const rate of ['0.15', '0.19']) {
      const [cx, cy] = centre(rate, false)
      const window = Array.from({ length: 81 }, (_, i) => raster.at(cx - 4 + (i % 9), cy - 4 + Math.floor(i / 9)))
      // Grey: red, green and blue within a few steps of each other (blue is current).
      for (const pixel of window) expect(Math.max(...pixel) - Math.min(...pixel), `pixel ${pixel.join(',')}`).toBeLessThanOrEqual(4)
      expect(window.filter((p) => near(p, HATCH_GROUND)).length, `hatch ground around rate ${rate}`).toBeGreaterThan(20)
      expect(window.filter((p) => near(p, HATCH_LINE, 12)).length, `hatch lines around rate ${rate}`).toBeGreaterThan(5)
    }
  })

  it('leaves the plot empty where no version was ever valid, and the page white outside the plot', () => {
    const raster = rasterise(renderHistory(versions, { format: 'svg' }))
    const { plot, columnX, rowY, width, height } = geometry()
    // December 2022 was not in the timeline before T3: column 0, rows 0 and 1.
    expect(raster.at(((columnX[0] ?? 0) + (columnX[1] ?? 0)) / 2, ((rowY[0] ?? 0) + (rowY[1] ?? 0)) / 2)).toEqual(PLOT)
    expect(raster.at(width - 4, plot.y + plot.height / 2)).toEqual(WHITE)
    expect(raster.at(plot.x + plot.width / 2, height - 3)).toEqual(WHITE)
    expect(raster.at(3, 3)).toEqual(WHITE)
  })

  it('labels the system axis with the true UTC times of the four writes, told apart', () => {
    const { systemTicks } = layoutHistory(checkVersions(versions), defaultLabel)
    expect(systemTicks).toHaveLength(5)
    expect(systemTicks[4]).toBe('now')
    systemTimes.forEach((systemTime, i) => {
      const tick = systemTicks[i] ?? ''
      expect(tick).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
      expect(systemTime.replace('T', ' ').startsWith(tick), `${tick} is ${systemTime} cut short`).toBe(true)
    })
    expect(new Set(systemTicks).size).toBe(5)
  })

  it('draws the same history as text, with its labels and dates', () => {
    const text = renderHistory(versions, { format: 'text' })
    const { systemTicks } = layoutHistory(checkVersions(versions), defaultLabel)
    for (const expected of ['rate 0.14', 'rate 0.15', 'rate 0.19', 'rate 0.25', '2022-12-01', '2023-01-01', '2023-02-01', '∞', ...systemTicks]) {
      expect(text).toContain(expected)
    }
    expect(text.startsWith('History of state_id=1, tax_type=income_tax\n')).toBe(true)
    // Two superseded versions (single corners) and three current ones (double corners, open tops).
    expect(text.match(/└─/g)).toHaveLength(2)
    expect(text.match(/╚═/g)).toHaveLength(3)
    expect(text.match(/╔┄/g)).toHaveLength(3)
  })
})
