import { defineTable } from '../../src/index.js'

/**
 * In scope in every docs example (see test/support/docs-examples.ts): the
 * table of the tax-rate story (docs/semantics.md §3), created in each example's database.
 */
export const taxRates = defineTable({
  name: 'tax_rates',
  key: { state_id: 'integer', tax_type: 'text' },
  values: { rate: 'numeric not null' },
})
