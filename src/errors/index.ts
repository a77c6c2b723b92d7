export * from './errors.js'
export { mapDatabaseError } from './map-database-error.js'
