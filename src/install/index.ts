export { install, type InstallResult, LIBRARY_SQL_FOLDER } from './install.js'
export { migrate } from './migrate.js'
