export type { ConvertOptions, ConvertProgress, ConvertResult } from './convert-options.js'
export { convertToBitemporal } from './convert-to-bitemporal.js'
