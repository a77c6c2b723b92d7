/**
 * What every message of the library starts with. `BitemporalError` adds it,
 * once; `mapDatabaseError` recognises by it the messages the library's own
 * SQL functions raise. Not exported from the package.
 */
export const MESSAGE_PREFIX = 'bitemporal: '
