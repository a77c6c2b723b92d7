export * from './errors.js'
export { type DatabaseErrorContext, mapDatabaseError } from './map-database-error.js'
export * from './schema-change-errors.js'
