import { describe, expect, it } from 'vitest'
import { checkVersions, type HistoryVersion } from '../../src/render/history-input.js'
import { layoutHistory } from '../../src/render/history-layout.js'
import { defaultLabel } from '../../src/render/render-history.js'
import { afterFutureChange, rateVersion, T1 } from '../support/render-fixtures.js'

// The geometry both formats draw: versions to grid rectangles, valid time in
// columns and system time in rows (row 0 the earliest), ordinal axes.

function layout(versions: readonly HistoryVersion[]) {
  return layoutHistory(checkVersions(versions), defaultLabel)
}

/** Each box as [label, columns from-to, rows from-to, openValid, current]. */
function boxes(versions: readonly HistoryVersion[]) {
  return layout(versions).boxes.map((b) => [b.label, `${b.columns.from}-${b.columns.to}`, `${b.rows.from}-${b.rows.to}`, b.openValid, b.current])
}

describe('layoutHistory', () => {
  it('lays out the tax-rate story after step 4: one column per distinct date, one row per distinct system time, ∞ and now last', () => {
    const result = layout(afterFutureChange)
    expect(result.key).toBe('state_id=1, tax_type=income_tax')
    expect(result.validTicks).toEqual(['2022-12-01', '2023-01-01', '2023-02-01', '∞'])
    expect(result.systemTicks).toEqual(['2023-10-16 09:30', '2023-10-17 14:05', '2023-11-02 08:15', '2023-12-01 16:45', 'now'])
    expect([result.columns, result.rows]).toEqual([3, 4])
    expect(boxes(afterFutureChange)).toEqual([
      ['rate 0.15', '1-3', '0-1', true, false],
      ['rate 0.19', '1-3', '1-3', true, false],
      ['rate 0.14', '0-1', '2-4', false, true],
      ['rate 0.19', '1-2', '3-4', false, true],
      ['rate 0.25', '2-3', '3-4', true, true],
    ])
  })

  it('does not depend on the order of the input', () => {
    const reversed = [...afterFutureChange].reverse()
    expect(boxes(reversed)).toEqual(boxes(afterFutureChange).reverse())
  })

  it('has no ∞ column or now row when every range is bounded', () => {
    const result = layout([rateVersion('0.1', ['2023-01-01', '2023-03-01'], [T1, '2023-10-16T10:00:00Z'])])
    expect(result.validTicks).toEqual(['2023-01-01', '2023-03-01'])
    expect(result.systemTicks).toEqual(['2023-10-16 09:30', '2023-10-16 10:00'])
    expect(boxes([rateVersion('0.1', ['2023-01-01', '2023-03-01'], [T1, '2023-10-16T10:00:00Z'])])).toEqual([['rate 0.1', '0-1', '0-1', false, false]])
  })

  it('keeps system times a microsecond apart as two ticks, labelled to the microsecond', () => {
    const result = layout([
      rateVersion('0.1', ['2023-01-01', null], ['2023-10-16T09:30:00.000001Z', '2023-10-16T09:30:00.000002Z']),
      rateVersion('0.2', ['2023-01-01', null], ['2023-10-16T09:30:00.000002Z', null]),
    ])
    expect(result.systemTicks).toEqual(['2023-10-16 09:30:00.000001', '2023-10-16 09:30:00.000002', 'now'])
  })

  it('labels instants at the coarsest precision that tells them apart, in UTC whatever the offset given', () => {
    const result = layout([
      rateVersion('0.1', ['2023-01-01', null], ['2023-10-16T11:30:05.250+02:00', '2023-10-16T09:30:06Z']),
      rateVersion('0.2', ['2023-01-01', null], ['2023-10-16T09:30:06Z', null]),
    ])
    expect(result.systemTicks).toEqual(['2023-10-16 09:30:05', '2023-10-16 09:30:06', 'now'])
  })

  it('spaces years and microseconds alike: the ticks are ordinal', () => {
    const result = layout([
      rateVersion('0.1', ['1990-01-01', '2023-01-01'], [T1, null]),
      rateVersion('0.2', ['2023-01-01', '2023-01-02'], [T1, null]),
    ])
    expect(result.validTicks).toEqual(['1990-01-01', '2023-01-01', '2023-01-02'])
    expect(result.boxes.map((b) => b.columns.to - b.columns.from)).toEqual([1, 1])
  })

  it('sorts timestamp valid time by instant, not by text', () => {
    const result = layout([
      rateVersion('0.1', ['2023-01-01T23:00:00-05:00', null], [T1, null]),
      rateVersion('0.2', ['2023-01-02T03:00:00Z', '2023-01-02T04:00:00Z'], [T1, null]),
    ])
    expect(result.validTicks).toEqual(['2023-01-02 03:00', '2023-01-02 04:00', '∞'])
    expect(result.boxes.map((b) => `${b.columns.from}-${b.columns.to}`)).toEqual(['1-2', '0-1'])
  })

  it('uses the label function, with whitespace collapsed to one line', () => {
    const result = layoutHistory(checkVersions(afterFutureChange.slice(0, 1)), (v) => `rate\n${String(v.values['rate'])}  %`)
    expect(result.boxes[0]?.label).toBe('rate 0.15 %')
  })

  it('lays out nothing for an empty history', () => {
    expect(layout([])).toEqual({ key: '', validTicks: [], systemTicks: [], columns: 0, rows: 0, boxes: [] })
  })
})
