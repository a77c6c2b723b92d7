export { createTable, dropTable, upgradeTable } from './create-table.js'
export { createTableSql, dropTableSql } from './create-table-sql.js'
export type { DropTableOptions } from './drop-guard-sql.js'
export { upgradeTableSql } from './upgrade-table-sql.js'
export {
  type ColumnDefinition,
  type ColumnTypes,
  defineTable,
  type KeyOf,
  type TableDefinition,
  type TableOptions,
  type ValidTime,
  AUDIT_COLUMNS,
  type ValuesOf,
} from './define-table.js'
export type { SqlTypeToTs, SqlTypeToTsNotNull } from './sql-type.js'
export {
  correctCurrentVersions,
  type CorrectCurrentVersionsOptions,
  type CorrectCurrentVersionsProgress,
  type CorrectCurrentVersionsResult,
} from './alter-table/correct-current-versions.js'

export { alterTable } from './alter-table/alter-table.js'
export { alterTableSql } from './alter-table/alter-table-sql.js'
export type { AlterTableOptions, DefaultReading } from './alter-table/alter-table-options.js'
