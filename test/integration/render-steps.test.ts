import { Resvg } from '@resvg/resvg-js'
import { beforeAll, describe, expect, it } from 'vitest'
import { install } from '../../src/install/install.js'
import type { AggregateStep } from '../../src/read/aggregate/aggregate-options.js'
import { renderSteps } from '../../src/render/index.js'
import { checkSteps } from '../../src/render/steps-input.js'
import { layoutSteps } from '../../src/render/steps-layout.js'
import { STEP_COLORS, stepsFrame } from '../../src/render/svg-steps.js'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { createTable } from '../../src/schema/create-table.js'
import { defineTable } from '../../src/schema/define-table.js'
import { useTestDatabase } from '../support/database.js'
import { rejectsWithCode } from '../support/rejects-with-code.js'

// Issue 18, item 4: the step chart of an aggregate read from PostgreSQL,
// as text and as SVG rasterised: the checks are on pixels.

const subscriptions = defineTable({ name: 'subscriptions', key: { id: 'integer' }, values: { plan: 'text not null', mrr: 'numeric(10,2) not null' } })
const database = useTestDatabase()
let steps: readonly AggregateStep[]
let byPlan: readonly AggregateStep[]

type Rgb = readonly [number, number, number]
const hex = (color: string): Rgb => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as unknown as Rgb
const near = (a: Rgb, b: Rgb, tolerance = 40): boolean => a.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= tolerance)

function pixel(svg: string, x: number, y: number): Rgb {
  const image = new Resvg(svg).render()
  const i = (Math.round(y) * image.width + Math.round(x)) * 4
  return [image.pixels[i] ?? -1, image.pixels[i + 1] ?? -1, image.pixels[i + 2] ?? -1]
}

beforeAll(async () => {
  const { db } = database()
  await install(db)
  await createTable(db, subscriptions)
  const repo = bitemporal(db, subscriptions)
  await repo.insert({ id: 1 }, { from: '2024-01-01' }, { plan: 'basic', mrr: '10.00' })
  await repo.insert({ id: 2 }, { from: '2024-03-01', to: '2024-06-01' }, { plan: 'pro', mrr: '20.00' })
  steps = await repo.aggregate({ validFrom: '2023-12-01', validTo: '2024-12-01', count: true, sum: 'mrr' })
  byPlan = await repo.aggregate({ validFrom: '2023-12-01', validTo: '2024-12-01', count: true, groupBy: 'plan' })
})

describe('renderSteps', () => {
  it('draws the steps as text: one line per step, a bar as long as its value', () => {
    expect(renderSteps(steps, { format: 'text', title: 'Active subscriptions' })).toBe(
      [
        'Active subscriptions',
        '2023-12-01 → 2024-01-01  0',
        `2024-01-01 → 2024-03-01  1  ${'█'.repeat(20)}`,
        `2024-03-01 → 2024-06-01  2  ${'█'.repeat(40)}`,
        `2024-06-01 → 2024-12-01  1  ${'█'.repeat(20)}`,
        '',
      ].join('\n'),
    )
    expect(renderSteps(steps, { format: 'text', measure: 'sum', title: 'MRR' }).split('\n')[3]).toBe(`2024-03-01 → 2024-06-01  30.00  ${'█'.repeat(40)}`)
    expect(renderSteps(byPlan, { format: 'text' }).split('\n')).toEqual([
      'Count over valid time',
      '',
      'basic',
      '2023-12-01 → 2024-01-01  0',
      `2024-01-01 → 2024-12-01  1  ${'█'.repeat(40)}`,
      '',
      'pro',
      '2023-12-01 → 2024-03-01  0',
      `2024-03-01 → 2024-06-01  1  ${'█'.repeat(40)}`,
      '2024-06-01 → 2024-12-01  0',
      '',
    ])
  })

  it('draws the steps as SVG: the line at each level over its period, in the colour of its group', () => {
    const svg = renderSteps(steps, { format: 'svg', title: 'Active subscriptions' })
    const layout = layoutSteps(checkSteps(steps, 'count'))
    const frame = stepsFrame(layout, 'Active subscriptions')
    const runs = layout.paths[0]?.runs ?? []
    expect(runs.map((run) => run.label)).toEqual(['0', '1', '2', '1'])
    for (const run of runs) {
      const middle = frame.px((run.x0 + run.x1) / 2)
      expect(near(pixel(svg, middle, frame.py(run.y)), hex(STEP_COLORS[0] ?? '')), `the line over [${run.from}, ${run.to})`).toBe(true)
      // Above the level (by a quarter of the range) the plot's ground, below the top.
      if (run.y < 1) expect(near(pixel(svg, middle, frame.py(run.y + 0.25)), hex('#f5f7fa'), 3), `above [${run.from}, ${run.to})`).toBe(true)
    }
    expect(svg).toContain('<title>2 over [2024-03-01, 2024-06-01)</title>')
    const grouped = renderSteps(byPlan, { format: 'svg' })
    const groupedLayout = layoutSteps(checkSteps(byPlan, 'count'))
    const groupedFrame = stepsFrame(groupedLayout, 'Count over valid time')
    const pro = groupedLayout.paths[1]?.runs[1]
    if (pro === undefined) throw new Error('no second step for pro')
    expect(near(pixel(grouped, groupedFrame.px((pro.x0 + pro.x1) / 2), groupedFrame.py(pro.y)), hex(STEP_COLORS[1] ?? ''))).toBe(true)
    expect(grouped).toContain('>pro</text>')
  })

  it('refuses what is not steps, and bad options', async () => {
    const untyped = renderSteps as unknown as (steps: unknown, options: unknown) => string
    const cases: [unknown, unknown][] = [
      [null, { format: 'text' }],
      [[{ effective: { from: '2024-02-01', to: '2024-01-01' }, count: 1 }], { format: 'text' }],
      [[{ effective: { from: '2024-01-01', to: '2024-02-01' } }], { format: 'text' }],
      [[{ effective: { from: '2024-01-01', to: '2024-02-01' }, count: 1 }], { format: 'text', measure: 'sum' }],
      [steps, { format: 'png' }],
      [steps, { format: 'svg', colour: true }],
      [steps, { format: 'svg', measure: 'avg' }],
    ]
    for (const [input, options] of cases) await rejectsWithCode(() => Promise.resolve().then(() => untyped(input, options)), 'INVALID_INPUT')
  })
})
