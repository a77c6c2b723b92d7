import { describe, expect, it } from 'vitest'
import { renderHistory } from '../../src/render/index.js'
import { afterCorrection, afterFutureChange, rateVersion, T1, T2 } from '../support/render-fixtures.js'

// The text format, character for character: system time up, valid time to
// the right, current versions in double lines, superseded ones in single
// lines shaded ░, open ends dashed with an arrow.

const LEGEND = `╔═╗ current knowledge   ┌─┐░ superseded   ┄↑ ┆→ open end (∞: valid until further notice, now: still current)
Ticks are the distinct dates and system times of the history, evenly spaced: not to scale.
`

describe("renderHistory(versions, { format: 'text' })", () => {
  it('draws the tax-rate story after the correction: 0.19 current above the superseded 0.15', () => {
    expect(renderHistory(afterCorrection, { format: 'text' })).toBe(
      `History of state_id=1, tax_type=income_tax
system time (UTC) ↑
             now ┤╔┄┄┄┄┄┄↑┄┄┄┄┄┄┄
                 │║ rate 0.19   →
2023-10-17 14:05 ┤╚══════════════
                 │┌──────────────
                 ││ rate 0.15 ░░→
2023-10-16 09:30 ┤└──────────────
                 └┬─────────────┬→ valid time (effective)
                  2023-01-01    ∞

${LEGEND}`,
    )
  })

  it('draws the tax-rate story after the future change, every version where docs/semantics.md §3 puts it', () => {
    expect(renderHistory(afterFutureChange, { format: 'text' })).toBe(
      `History of state_id=1, tax_type=income_tax
system time (UTC) ↑
             now ┤╔┄┄┄┄┄┄↑┄┄┄┄┄┄╗╔┄┄┄┄┄┄↑┄┄┄┄┄┄╗╔┄┄┄┄┄┄↑┄┄┄┄┄┄┄
                 │║ rate 0.14   ║║ rate 0.19   ║║ rate 0.25   →
2023-12-01 16:45 ┤║             ║╚═════════════╝╚══════════════
                 │║             ║┌─────────────────────────────
                 │║             ║│ rate 0.19 ░░░░░░░░░░░░░░░░░→
2023-11-02 08:15 ┤╚═════════════╝│░░░░░░░░░░░░░░░░░░░░░░░░░░░░┆
                 │               │░░░░░░░░░░░░░░░░░░░░░░░░░░░░┆
                 │               │░░░░░░░░░░░░░░░░░░░░░░░░░░░░┆
2023-10-17 14:05 ┤               └─────────────────────────────
                 │               ┌─────────────────────────────
                 │               │ rate 0.15 ░░░░░░░░░░░░░░░░░→
2023-10-16 09:30 ┤               └─────────────────────────────
                 └┬──────────────┬──────────────┬─────────────┬→ valid time (effective)
                  2022-12-01     2023-01-01     2023-02-01    ∞

${LEGEND}`,
    )
  })

  it('closes every side of a version bounded in both times, and takes the title given', () => {
    expect(renderHistory([rateVersion('0.1', ['2023-01-01', '2023-03-01'], [T1, T2])], { format: 'text', title: 'Deleted' })).toBe(
      `Deleted
system time (UTC) ↑
2023-10-17 14:05 ┤┌────────────┐
                 ││ rate 0.1 ░░│
2023-10-16 09:30 ┤└────────────┘
                 └┬────────────┬→ valid time (effective)
                  2023-01-01   2023-03-01

${LEGEND}`,
    )
  })

  it('says so for an empty history', () => {
    expect(renderHistory([], { format: 'text' })).toBe('History\n(no versions: nothing has been recorded for this key)\n')
  })

  it('widens a column to the label, whatever the label function returns', () => {
    const text = renderHistory(afterCorrection, { format: 'text', label: (v) => `${String(v.values['rate'])} (income tax, all brackets)` })
    expect(text).toContain('║ 0.19 (income tax, all brackets)   →')
    expect(text).toContain('│ 0.15 (income tax, all brackets) ░░→')
  })

  it('has no escape codes by default and colours current blue and superseded grey with color: true', () => {
    expect(renderHistory(afterFutureChange, { format: 'text' })).not.toContain('\u001b[')
    const coloured = renderHistory(afterCorrection, { format: 'text', color: true })
    expect(coloured).toContain('\u001b[34m╔┄┄┄┄┄┄↑┄┄┄┄┄┄┄\u001b[0m')
    expect(coloured).toContain('\u001b[90m└──────────────\u001b[0m')
    // Without the escape codes it is the plain picture.
    expect(coloured.replace(new RegExp(String.raw`\u001b\[\d+m`, 'g'), '')).toBe(renderHistory(afterCorrection, { format: 'text' }))
  })
})
