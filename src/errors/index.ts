export * from './errors.js'
export { mapDatabaseError } from './map-database-error.js'
export { TableMismatchError } from './table-mismatch-error.js'
