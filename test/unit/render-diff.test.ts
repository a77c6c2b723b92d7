import { describe, expect, it } from 'vitest'
import { renderDiff } from '../../src/render/index.js'
import { invalidInput } from '../support/invalid-input.js'

// Issue 18, item 4: the diff drawn on the bitemporal diagram, what changed highlighted.

const key = { state_id: 1 }
const T1 = '2024-01-01T10:00:00.000000Z'
const T2 = '2024-02-01T10:00:00.000000Z'
const T3 = '2024-03-01T10:00:00.000000Z'
// T1: 0.15 from January. T2: 0.19 from June (January to June re-asserted). T3: 0.14 in December 2023, before it all.
const history = [
  { key, values: { rate: '0.15' }, effective: { from: '2024-01-01', to: null }, system: { from: T1, to: T2 } },
  { key, values: { rate: '0.15' }, effective: { from: '2024-01-01', to: '2024-06-01' }, system: { from: T2, to: null } },
  { key, values: { rate: '0.19' }, effective: { from: '2024-06-01', to: null }, system: { from: T2, to: null } },
  { key, values: { rate: '0.14' }, effective: { from: '2023-12-01', to: '2024-01-01' }, system: { from: T3, to: null } },
]
const diffT1T2 = [{ key, effective: { from: '2024-06-01', to: null } }]

describe('renderDiff', () => {
  it('marks, in text, the versions asserted or retracted between the instants over the valid time that differs', () => {
    const text = renderDiff(history, diffT1T2, { format: 'text', before: T1, after: T2 })
    expect(text.split('\n')[0]).toBe(`Changes to state_id=1 between ${T1} and ${T2}`)
    // The retracted version and the new one; not January to June, re-asserted unchanged; not December, written after T2.
    expect(text.match(/✱ rate [\d.]+/g)).toEqual(['✱ rate 0.19', '✱ rate 0.15'])
    expect(text).toContain('✱ asserted or retracted between the two instants of the diff')
  })

  it('highlights the same versions in SVG with the changed border, and nothing without a diff', () => {
    const svg = renderDiff(history, diffT1T2, { format: 'svg', before: T1, after: T2 })
    expect(svg.match(/changed in the diff/g)).toHaveLength(2)
    expect(svg).toContain('stroke="#d9480f"')
    const none = renderDiff(history, [], { format: 'svg', before: T1, after: T2 })
    expect(none).not.toContain('changed in the diff')
    expect(none).not.toContain('#d9480f')
  })

  it('refuses diff rows of another key and a missing before', () => {
    const otherKey = invalidInput(() => renderDiff(history, [{ key: { state_id: 2 }, effective: { from: '2024-06-01', to: null } }], { format: 'text', before: T1 }))
    expect(otherKey.message).toContain('diff[0] has key state_id=2')
    const noBefore = invalidInput(() => renderDiff(history, diffT1T2, { format: 'text' } as never))
    expect(noBefore.message).toContain('{ before } is required')
  })
})
