import type { TableDefinition, ValuesOf } from '../schema/define-table.js'

type RequiredColumn<S extends string> = Lowercase<S> extends `${string}not null${string}`
  ? Lowercase<S> extends `${string} default ${string}`
    ? false
    : true
  : false

type RequiredColumns<D extends TableDefinition> = {
  [C in keyof D['values'] & string]: RequiredColumn<D['values'][C]> extends true ? C : never
}[keyof D['values'] & string]

/**
 * The values of `set` and `insert`: every `not null` column without a
 * default is required; the others default to their column default or null.
 */
export type NewValues<D extends TableDefinition> = { [C in RequiredColumns<D>]: ValuesOf<D>[C] } & {
  [C in Exclude<keyof ValuesOf<D>, RequiredColumns<D>>]?: ValuesOf<D>[C]
}

/** The patch of `update` and `correct`: any value columns. */
export type ValuesPatch<D extends TableDefinition> = Partial<ValuesOf<D>>
