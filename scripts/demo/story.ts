import { type AnyKysely, bitemporal, createTable, defineTable, install, renderHistory, type Version } from '../../src/index.js'
import { formatTable, formatVersions, microsecondBefore } from './format.js'

/** The table of the story: one entity per state and tax type, one value. */
export const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})

/** A row of the story's tables: rate, effective from, effective to, system from, system to (T1…T4; null: unbounded). */
type StoryRow = readonly [rate: string, from: string, to: string | null, systemFrom: string, systemTo: string | null]

interface Step {
  readonly title: string
  readonly narration: readonly string[]
  readonly from: string
  readonly rate: string
  /** The table of docs/semantics.md §3 after the step, row for row. */
  readonly expected: readonly StoryRow[]
}

const STEPS: readonly Step[] = [
  {
    title: 'Step 1 - first change',
    narration: [
      'The state announces an income tax of 0.15 from 2023-01-01 on. We record it',
      'from 2023-01-01, until further notice: `set` with only `from`.',
    ],
    from: '2023-01-01',
    rate: '0.15',
    expected: [['0.15', '2023-01-01', null, 'T1', null]],
  },
  {
    title: 'Step 2 - correction',
    narration: [
      'The 0.15 was a typo: the rate was always 0.19. Same effective start, so the',
      'new version replaces the old one on every day. The 0.15 row is not updated',
      'or deleted: it is closed at T2 (system to = T2), so what we believed between',
      'T1 and T2 stays readable.',
    ],
    from: '2023-01-01',
    rate: '0.19',
    expected: [
      ['0.15', '2023-01-01', null, 'T1', 'T2'],
      ['0.19', '2023-01-01', null, 'T2', null],
    ],
  },
  {
    title: 'Step 3 - past change',
    narration: [
      'We learn that a rate of 0.14 already applied from 2022-12-01. `set` from',
      '2022-12-01 without `to` ends the new version where the next change starts',
      '(2023-01-01): December is filled, January is untouched, nothing is closed.',
    ],
    from: '2022-12-01',
    rate: '0.14',
    expected: [
      ['0.15', '2023-01-01', null, 'T1', 'T2'],
      ['0.19', '2023-01-01', null, 'T2', null],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
    ],
  },
  {
    title: 'Step 4 - future change',
    narration: [
      'From 2023-02-01 on the rate will be 0.25. The 0.19 version covered Feb 1, so',
      'it is closed at T4 and its part before Feb 1 is re-inserted unchanged (a',
      '"leftover"); the 0.25 version starts on Feb 1.',
    ],
    from: '2023-02-01',
    rate: '0.25',
    expected: [
      ['0.15', '2023-01-01', null, 'T1', 'T2'],
      ['0.19', '2023-01-01', null, 'T2', 'T4'],
      ['0.14', '2022-12-01', '2023-01-01', 'T3', null],
      ['0.19', '2023-01-01', '2023-02-01', 'T4', null],
      ['0.25', '2023-02-01', null, 'T4', null],
    ],
  },
]

/** Where the story goes: one call per line. */
export interface StoryOutput {
  readonly line: (text?: string) => void
}

/**
 * Tells the tax-rate story of docs/semantics.md §3 on `db`, an empty
 * database: creates the table, runs the four writes, and prints after each
 * the rows and a picture of the history; then the reads, including the
 * shoe-store question. Every result is checked against the story, and a
 * difference is thrown as an error.
 */
export async function tellStory(db: AnyKysely, out: StoryOutput): Promise<void> {
  const { line } = out
  const indent = (lines: readonly string[]): void => {
    for (const text of lines) line(text === '' ? '' : `  ${text}`)
  }

  await install(db)
  await createTable(db, taxRates)
  const rates = bitemporal(db, taxRates)
  const key = { state_id: 1, tax_type: 'income_tax' }

  line('The table: one row per version, two time ranges per row.')
  indent([
    "defineTable({ name: 'tax_rates', key: { state_id: 'integer', tax_type: 'text' }, values: { rate: 'numeric not null' } })",
    '',
    'effective  when the rate applies in the world (valid time), [from, to) in days',
    'system     when the database believed it (transaction time), set by the database',
    '',
    `The entity: key = { state_id: 1, tax_type: 'income_tax' }.`,
    'System times are the real transaction times of this run, microseconds apart,',
    'not dates like 2023-10-16: the database sets them, a caller cannot backdate',
    'them. Each step below is one transaction; its returned systemTime is named',
    'T1, T2, T3, T4 as in docs/semantics.md.',
  ])

  /** T1…T4 in the order the steps returned them. */
  const systemTimes: string[] = []
  const nameOf = (instant: string): string => {
    const index = systemTimes.indexOf(instant)
    return index < 0 ? instant : `T${String(index + 1)}`
  }
  const T = (n: number): string => {
    const t = systemTimes[n - 1]
    if (t === undefined) throw new Error(`T${String(n)} was not recorded`)
    return t
  }

  for (const [index, step] of STEPS.entries()) {
    line()
    line(step.title)
    line('-'.repeat(step.title.length))
    indent(step.narration)
    line()
    indent([`> await rates.set(key, { from: '${step.from}' }, { rate: '${step.rate}' })`])
    const result = await rates.set(key, { from: step.from }, { rate: step.rate })
    if (result.systemTime === null) throw new Error(`${step.title} wrote nothing`)
    systemTimes.push(result.systemTime)
    indent([
      `{ systemTime: '${result.systemTime}', closed: ${String(result.closed)}, inserted: ${String(result.inserted)} }   T${String(index + 1)} = ${result.systemTime}`,
    ])
    line()
    const history = await rates.history(key)
    line('  rates.history(key):')
    indent(formatVersions(history, (v) => String(v.values['rate']), nameOf).map((text) => `  ${text}`))
    checkRows(step, history, nameOf)
    line()
    line('  renderHistory(history, { format: \'text\' }):')
    indent(renderHistory(history, { format: 'text' }).trimEnd().split('\n').map((text) => (text === '' ? '' : `  ${text}`)))
  }

  line()
  line('Reads after step 4')
  line('------------------')
  indent([
    'asOf(key, { validAt, knownAt }) answers: which rate applies on validAt, as the',
    'database knew it at knownAt? Without knownAt: what we know now. A knownAt',
    "equal to a step's systemTime sees that step; T - 1 µs is just before it.",
    '',
  ])
  const reads: readonly { readonly call: string; readonly validAt: string; readonly knownAt?: string; readonly expected: string | undefined; readonly note: string }[] = [
    { call: "{ validAt: '2023-05-01' }", validAt: '2023-05-01', expected: '0.25', note: 'the rate in force on May 1' },
    { call: "{ validAt: '2022-11-30' }", validAt: '2022-11-30', expected: undefined, note: 'no rate before 2022-12-01' },
    { call: "{ validAt: '2023-01-15', knownAt: T1 }", validAt: '2023-01-15', knownAt: T(1), expected: '0.15', note: 'as known at T1, before the correction' },
    { call: "{ validAt: '2023-01-15', knownAt: T2 }", validAt: '2023-01-15', knownAt: T(2), expected: '0.19', note: 'as known at T2, the correction' },
    { call: "{ validAt: '2023-01-15', knownAt: T1 - 1µs }", validAt: '2023-01-15', knownAt: microsecondBefore(T(1)), expected: undefined, note: 'as known just before T1: nothing yet' },
  ]
  const answers: string[][] = [['call', 'rate', '']]
  for (const read of reads) {
    const version = await rates.asOf(key, read.knownAt === undefined ? { validAt: read.validAt } : { validAt: read.validAt, knownAt: read.knownAt })
    const rate = version?.values.rate
    if (rate !== read.expected) throw new Error(`asOf(key, ${read.call}) gave ${rate ?? 'none'}, the story says ${read.expected ?? 'none'}`)
    answers.push([`rates.asOf(key, ${read.call})`, rate ?? 'none', read.note])
  }
  indent(formatTable(answers))

  line()
  line('The shoe-store question')
  line('-----------------------')
  const sale = '2023-01-15'
  const chargedAt = microsecondBefore(T(2))
  const charged = (await rates.asOf(key, { validAt: sale, knownAt: chargedAt }))?.values.rate
  const right = (await rates.asOf(key, { validAt: sale }))?.values.rate
  const beforeAnything = (await rates.asOf(key, { validAt: sale, knownAt: microsecondBefore(T(1)) }))?.values.rate
  if (charged !== '0.15' || right !== '0.19' || beforeAnything !== undefined) {
    throw new Error(`shoe store: charged ${charged ?? 'none'}, right ${right ?? 'none'}, before T1 ${beforeAnything ?? 'none'}; the story says 0.15, 0.19, none`)
  }
  indent([
    `A shoe store sold a pair of shoes on ${sale} and charged the tax rate its system`,
    'held at the moment of the sale. An auditor asks: what rate was charged, and',
    'what should it have been? Two times answer it: validAt = the date of the sale',
    '(which day\'s rate applies), knownAt = when the sale was rung up (what the',
    'database believed then).',
    '',
    'In the story the sale is rung up on a real day, say 2023-10-16, between the',
    'first change and the correction. In this run that moment is "just before',
    'step 2": knownAt = T2 - 1 µs.',
    '',
    ...formatTable([
      ['question', 'call', 'rate'],
      ['what was charged (rung up before step 2)', `rates.asOf(key, { validAt: '${sale}', knownAt: T2 - 1µs })`, charged],
      ['what it should have been (known now)', `rates.asOf(key, { validAt: '${sale}' })`, right],
      ['rung up before step 1', `rates.asOf(key, { validAt: '${sale}', knownAt: T1 - 1µs })`, 'none'],
    ]),
    '',
    `The sale was charged ${charged} where ${right} was right; the database can say`,
    'both, because the correction closed the 0.15 row instead of overwriting it.',
    '',
    `T2 - 1 µs = ${chargedAt}`,
  ])
}

/** Fails when the history is not the story's table after the step. */
function checkRows(step: Step, history: readonly Version<typeof taxRates>[], nameOf: (instant: string) => string): void {
  const actual = history.map((v) => [v.values.rate, v.effective.from, v.effective.to, nameOf(v.system.from), v.system.to === null ? null : nameOf(v.system.to)])
  if (JSON.stringify(actual) !== JSON.stringify(step.expected)) {
    throw new Error(`${step.title}: the history is ${JSON.stringify(actual)}, the story's table is ${JSON.stringify(step.expected)}`)
  }
}
