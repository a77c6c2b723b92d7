import { describe, expect, it } from 'vitest'
import { renderHistory } from '../../src/render/index.js'
import { afterFutureChange, rateVersion, T1 } from '../support/render-fixtures.js'

// The SVG markup: a self-contained document with a size, a viewBox and a
// title; the pixels are checked in test/integration/render-history.test.ts.

function attribute(svg: string, name: string): string | undefined {
  return new RegExp(`<svg [^>]*\\b${name}="([^"]*)"`).exec(svg)?.[1]
}

describe("renderHistory(versions, { format: 'svg' })", () => {
  const svg = renderHistory(afterFutureChange, { format: 'svg' })

  it('is one SVG document with width, height, a viewBox of the same size, and a title', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" ')).toBe(true)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    const [width, height] = [Number(attribute(svg, 'width')), Number(attribute(svg, 'height'))]
    expect(width).toBeGreaterThan(300)
    expect(height).toBeGreaterThan(200)
    expect(attribute(svg, 'viewBox')).toBe(`0 0 ${width} ${height}`)
    expect(svg).toContain('<title>History of state_id=1, tax_type=income_tax</title>')
  })

  it('needs nothing outside itself: no links, images, stylesheets or web fonts', () => {
    expect(svg).not.toMatch(/href|<image|<style|@import|@font-face|url\((?!#)/)
  })

  it('labels every version and every tick with real dates, and the open ends ∞ and now', () => {
    for (const label of ['rate 0.14', 'rate 0.15', 'rate 0.19', 'rate 0.25']) expect(svg).toContain(`>${label}</text>`)
    for (const tick of ['2022-12-01', '2023-01-01', '2023-02-01', '∞', '2023-10-16 09:30', '2023-12-01 16:45', 'now']) {
      expect(svg).toContain(`>${tick}</text>`)
    }
    expect(svg).toContain('>system time (UTC) ↑</text>')
    expect(svg).toContain('>valid time (effective) →</text>')
  })

  it('gives each version a tooltip with its exact ranges', () => {
    expect(svg).toContain('<title>rate 0.15: valid [2023-01-01, ∞), system [2023-10-16T09:30:00.000000Z, 2023-10-17T14:05:00.000000Z), superseded</title>')
    expect(svg).toContain('<title>rate 0.14: valid [2022-12-01, 2023-01-01), system [2023-11-02T08:15:00.000000Z, now), current</title>')
  })

  it('escapes labels and titles', () => {
    const escaped = renderHistory([rateVersion('<b>&"x"', ['2023-01-01', null], [T1, null])], { format: 'svg', title: 'a < b' })
    expect(escaped).toContain('<title>a &#60; b</title>')
    expect(escaped).toContain('>rate &#60;b&#62;&#38;&#34;x&#34;</text>')
    expect(escaped).not.toContain('<b>')
  })

  it('draws an empty diagram that says there is nothing', () => {
    const empty = renderHistory([], { format: 'svg' })
    expect(attribute(empty, 'viewBox')).toBe('0 0 480 140')
    expect(empty).toContain('No versions: nothing has been recorded for this key.')
  })
})
