import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { tableSqlContext } from '../../src/repository/table-sql-context.js'
import { defineTable } from '../../src/schema/define-table.js'
import { WRITE_OPERATIONS } from '../../src/write/statement/write-operations.js'
import { writeStatementParts } from '../../src/write/statement/write-statement-parts.js'
import type { WriteOperation } from '../../src/write/write-operation.js'
import { writeParameterSlots } from '../../src/write/write-parameters.js'
import { writeParameterLayout, writeParameters, writeSql } from '../../src/write/write-sql.js'

// The write statement as text, without a database: what the integration
// tests cannot see directly (parameter numbering, which steps a variant
// has) and the TSDoc example of writeSql, checked against the statement.

const OPERATIONS = Object.keys(WRITE_OPERATIONS) as WriteOperation[]
const VARIANTS = [
  { scope: 'statement', expect: true },
  { scope: 'statement', expect: false },
  { scope: 'transaction', expect: true },
  { scope: 'transaction', expect: false },
] as const

const taxRates = defineTable({ name: 'tax_rates', key: { state_id: 'integer', tax_type: 'text' }, values: { rate: 'numeric not null' } })
const customers = defineTable({ name: 'customers', key: { customer_id: 'integer' }, values: { name: 'text' }, effective: 'timestamp' })
const orders = defineTable({
  name: 'billing.orders',
  key: { order_id: 'integer' },
  values: { customer_id: 'integer not null', total: 'numeric', label: "text default 'none'" },
  effective: 'timestamp',
  audit: true,
  entity: true,
  references: [{ table: customers, columns: { customer_id: 'customer_id' } }],
})
const SHAPES = [
  { name: 'plain', context: tableSqlContext(taxRates) },
  { name: 'audited with entity', context: tableSqlContext(orders) },
]

/** Each `$n` in `text` with the types it is cast to (`$3::text::daterange` → 3: daterange). */
function parameterTypes(text: string): Map<number, Set<string>> {
  const types = new Map<number, Set<string>>()
  for (const match of text.matchAll(/\$(\d+)::text(?:::(\w+))?/g)) {
    const position = Number(match[1])
    const seen = types.get(position) ?? new Set<string>()
    seen.add(match[2] ?? 'text')
    types.set(position, seen)
  }
  return types
}

describe('write parameters', () => {
  it('are numbered key, target, expect, actor and reason (audited only), then present and value per column', () => {
    expect(writeParameterLayout(tableSqlContext(taxRates))).toEqual({ keyCount: 2, target: 3, expect: 4, actor: undefined, reason: undefined, firstValue: 5 })
    expect(writeParameterLayout(tableSqlContext(orders))).toEqual({ keyCount: 1, target: 2, expect: 3, actor: 4, reason: 5, firstValue: 6 })
  })

  it('are listed by writeParameters at the positions the statement numbers them', () => {
    const context = tableSqlContext(orders)
    const slots = writeParameterSlots(context)
    const list = writeParameters({
      key: ['key'],
      target: 'target',
      expect: 'expect',
      audit: ['actor', 'reason'],
      values: slots.values.flatMap((column) => [`present ${String(column.index)}`, `value ${String(column.index)}`]),
    })
    const at = (position: number): unknown => list[position - 1]
    expect(at(slots.key[0]?.parameter.position ?? 0)).toBe('key')
    expect(at(slots.target.position)).toBe('target')
    expect(at(slots.expect.position)).toBe('expect')
    expect(at(slots.audit?.actor.position ?? 0)).toBe('actor')
    expect(at(slots.audit?.reason.position ?? 0)).toBe('reason')
    for (const column of slots.values) {
      expect(at(column.present.position)).toBe(`present ${String(column.index)}`)
      expect(at(column.value.position)).toBe(`value ${String(column.index)}`)
    }
  })
})

describe('writeSql', () => {
  // PostgreSQL cannot prepare a statement that leaves a parameter unnamed
  // (it cannot infer its type), and the repository sends one list to every
  // variant: so each variant must name every parameter, with or without `expect`.
  it.each(SHAPES)('names every parameter of the list in every operation and variant ($name)', ({ context }) => {
    const count = writeParameters({ key: context.keys, target: 0, expect: null, audit: context.audit ? [0, 0] : [], values: context.values.flatMap(() => [0, 0]) }).length
    for (const operation of OPERATIONS) {
      for (const variant of VARIANTS) {
        const positions = [...parameterTypes(writeSql(context, operation, variant)).keys()].sort((left, right) => left - right)
        expect(positions, `${operation} ${JSON.stringify(variant)}`).toEqual(Array.from({ length: count }, (_, index) => index + 1))
      }
    }
  })

  it('casts the target as a point where the operation takes one (set without `to`, correct) and as a range elsewhere', () => {
    const context = tableSqlContext(taxRates)
    const target = writeParameterLayout(context).target
    for (const operation of OPERATIONS) {
      const expected = operation === 'setFrom' || operation === 'correct' ? 'date' : 'daterange'
      expect([...(parameterTypes(writeSql(context, operation)).get(target) ?? [])], operation).toEqual([expected])
    }
  })

  it('leaves out the step that deletes its own rows outside a transaction, and derives the rows it inserts from `closed` alone', () => {
    const context = tableSqlContext(taxRates)
    for (const operation of OPERATIONS) {
      const outside = writeSql(context, operation, { scope: 'statement' })
      const inside = writeSql(context, operation, { scope: 'transaction' })
      expect(outside, operation).not.toMatch(/\bremoved as \(|\breplaced as \(|from replaced c/)
      expect(outside, operation).toContain('false as bt$own')
      expect(inside, operation).toMatch(/\bremoved as \([\s\S]*\breplaced as \(/)
      expect(inside, operation).toContain('bitemporal.is_own_row(t.xmin)')
    }
  })

  it('has a portion step only where the portion depends on the versions found', () => {
    const context = tableSqlContext(taxRates)
    for (const operation of OPERATIONS) {
      const derived = operation === 'setFrom' || operation === 'correct'
      expect(writeSql(context, operation).includes('\nportion as ('), operation).toBe(derived)
    }
  })

  it('refuses what each operation refuses, and nothing else', () => {
    const context = tableSqlContext(taxRates)
    const refusals = Object.fromEntries(OPERATIONS.map((operation) => [operation, /then '(overlapping|not_found)'\n/.exec(writeSql(context, operation))?.[1]]))
    expect(refusals).toEqual({ insert: 'overlapping', set: undefined, setFrom: undefined, update: undefined, correct: 'not_found', delete: undefined })
  })

  it('inserts the entity row only on tables with an entity table', () => {
    for (const operation of OPERATIONS) {
      expect(writeSql(tableSqlContext(taxRates), operation), operation).not.toContain('entity_row as (')
      expect(writeSql(tableSqlContext(orders), operation), operation).toContain(
        'entity_row as (\n  insert into "billing"."orders_entity" ("order_id")\n  select $1::text::integer\n  where exists (select 1 from inserted)',
      )
    }
  })

  it('records who and why on audited tables, when closing and when inserting', () => {
    const text = writeSql(tableSqlContext(orders), 'update')
    expect(text).toContain(`, "closed_by" = $4::text, "closed_reason" = $5::text\n`)
    expect(text).toContain(`"effective", "recorded_by", "recorded_reason")\n  select n.*, $4::text, $5::text\n`)
    expect(writeSql(tableSqlContext(taxRates), 'update')).not.toMatch(/recorded_by|closed_by/)
  })
})

describe('the values a write gives a version', () => {
  const context = tableSqlContext(orders)
  const label = writeParameterSlots(context).values[2]
  if (label === undefined) throw new Error('orders has a third value column')

  // set and insert give the entity exactly the values written; update,
  // correct and delete keep what the write leaves out.
  it.each(['insert', 'set', 'setFrom'] as const)('%s: a column left out gets its default', (operation) => {
    expect(writeStatementParts(context, operation, {}).newValue(label, 't')).toBe("case when $10::text::boolean then $11::text else 'none' end")
  })

  it.each(['update', 'correct', 'delete'] as const)('%s: a column left out keeps the version’s value', (operation) => {
    expect(writeStatementParts(context, operation, {}).newValue(label, 't')).toBe('case when $10::text::boolean then $11::text else t."label" end')
  })

  it('insert changes no version (it refuses instead), delete every one it reaches, the others those whose values differ', () => {
    const changes = (operation: WriteOperation): string => {
      const found = writeSql(context, operation).split(' as bt$changes\n')[0] ?? ''
      return found.slice(found.lastIndexOf(' as bt$new_2, ') + ' as bt$new_2, '.length)
    }
    expect(changes('insert')).toBe('false')
    expect(changes('delete')).toBe('true')
    for (const operation of ['set', 'setFrom', 'update', 'correct'] as const) expect(changes(operation), operation).toMatch(/is distinct from/)
  })
})

describe("writeSql's TSDoc example", () => {
  // The example is the real statement with parts left out (`…`): every
  // other piece must appear in the statement, in order, so it cannot drift.
  it('is the statement for the tax-rate table, update, inside a transaction, with expect', () => {
    const source = readFileSync(new URL('../../src/write/write-sql.ts', import.meta.url), 'utf8')
    const doc = source.slice(0, source.indexOf('export function writeSql('))
    const example = /\* ```sql\n([\s\S]*?)\n \* ```/.exec(doc.slice(doc.lastIndexOf('/**')))?.[1]
    expect(example).toBeDefined()
    const statement = writeSql(tableSqlContext(taxRates), 'update', { scope: 'transaction', expect: true })
    let from = 0
    for (const line of (example ?? '').split('\n').map((docLine) => docLine.replace(/^ \* ?/, ''))) {
      for (const piece of line.split('…').map((part) => part.trim()).filter((part) => part !== '')) {
        const at = statement.indexOf(piece, from)
        expect(at, `not in the statement after offset ${String(from)}: ${piece}`).toBeGreaterThanOrEqual(0)
        from = at + piece.length
      }
    }
    // Whole lines too: the example starts and ends where the statement does.
    expect(statement.startsWith('-- bitemporal update on "tax_rates"\nwith\nfound as materialized (')).toBe(true)
    expect(statement.endsWith('(select count(*) as inserted from inserted) as i')).toBe(true)
  })
})
