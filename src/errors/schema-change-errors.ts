import { BitemporalError, type BitemporalErrorOptions } from './errors.js'

/**
 * A write to a versions table whose columns changed (a plain `ALTER TABLE …
 * ADD COLUMN` in a migration) before `upgradeTable` regenerated the objects
 * derived from them: the history guard still lists the old columns, so
 * PostgreSQL cannot tell a close from a rewrite and every close fails.
 * Nothing was written. Run `upgradeTable(db, definition)` in a migration,
 * with the new column in the definition (docs/schema.md).
 *
 * @example
 * ```ts
 * try {
 *   await prices.update({ sku: 'A' }, { from: '2024-02-01' }, { net: '11.00' })
 * } catch (error) {
 *   if (error instanceof TableNeedsUpgradeError) console.error(`run upgradeTable for ${error.table ?? 'the table'}`)
 * }
 * ```
 */
export class TableNeedsUpgradeError extends BitemporalError {
  constructor(message: string, options: BitemporalErrorOptions = {}) {
    super('TABLE_NEEDS_UPGRADE', message, options)
  }
}

/**
 * `upgradeTable` was given a definition that does not describe the table's
 * columns: one is missing from the table or from the definition, or a
 * column's type, nullability or default differs. `differences` names each;
 * nothing was changed. To change the table to the definition, use
 * `alterTable`; to regenerate the derived objects of the table as it is,
 * correct the definition.
 */
export class DefinitionMismatchError extends BitemporalError {
  override readonly table: string
  /** One sentence per difference, e.g. `column "currency" is in the table but not in the definition`. */
  readonly differences: readonly string[]

  constructor(message: string, options: BitemporalErrorOptions & { readonly table: string; readonly differences: readonly string[] }) {
    super('DEFINITION_MISMATCH', message, options)
    this.table = options.table
    this.differences = Object.freeze([...options.differences])
  }
}

/**
 * `alterTable` (or `alterTableSql`) was asked for a change that would lose
 * or alter what history recorded, or that this version cannot make: a
 * dropped value column, a narrowed or changed type, a changed key or
 * valid-time granularity, a renamed `effective` or `system` column, `audit`,
 * `entity` or `references` turned on or off, a `not null` column without a
 * default on a table that holds rows, a default on such a table without a
 * stated reading. `change` and `column` describe the first refusal;
 * `refusals` lists every one, each with its own way out in the message.
 * Nothing was sent but the catalog reads.
 *
 * @example
 * ```ts
 * try {
 *   await alterTable(db, pricesWithoutNet)
 * } catch (error) {
 *   if (error instanceof SchemaChangeRefusedError) console.error(error.change, error.column) // 'drop' 'net'
 * }
 * ```
 */
export class SchemaChangeRefusedError extends BitemporalError {
  override readonly table: string
  /** The column of the first refused change, when it concerns one. */
  readonly column: string | undefined
  /** What the first refused change is, e.g. `'drop'`, `'narrow'`, `'key'`. */
  readonly change: string
  /** Every refused change: its kind, its column, and what to do instead. */
  readonly refusals: readonly { readonly change: string; readonly column: string | undefined; readonly reason: string }[]

  constructor(
    message: string,
    options: BitemporalErrorOptions & {
      readonly table: string
      readonly refusals: readonly { readonly change: string; readonly column: string | undefined; readonly reason: string }[]
    },
  ) {
    super('SCHEMA_CHANGE_REFUSED', message, options)
    this.table = options.table
    this.refusals = Object.freeze(options.refusals.map((refusal) => Object.freeze({ ...refusal })))
    this.column = options.refusals[0]?.column
    this.change = options.refusals[0]?.change ?? 'unknown'
  }
}
