export { asOf } from './as-of.js'
export { ANY_VALID_TIME, type AsOfInstant } from './as-of-instant.js'
export { asOfPlugin, type AsOfPluginOptions } from './as-of-plugin.js'
export type { AsOfQuery } from './query-as-of.js'
