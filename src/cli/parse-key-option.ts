import { isPlainObject } from '../values/is-plain-object.js'
import { UsageError } from './usage-error.js'

/** How `--key` is written, for the messages that ask for it. */
export const KEY_EXAMPLE = `'{"state_id":1,"tax_type":"income_tax"}'`

/**
 * The `--key` option of `history` and `diff`: a JSON object of key column to
 * value. What is wrong with it is a usage error with the command's usage.
 *
 * @example
 * parseKeyOption('{"state_id":1,"tax_type":"income_tax"}', HISTORY_USAGE) // { state_id: 1, tax_type: 'income_tax' }
 */
export function parseKeyOption(text: string, usage: string): Readonly<Record<string, unknown>> {
  let key: unknown
  try {
    key = JSON.parse(text)
  } catch (error) {
    // JSON.parse names the position of the first bad character, which is what the user needs.
    throw new UsageError(`--key is not valid JSON (${error instanceof Error ? error.message : String(error)}); write it like ${KEY_EXAMPLE}`, usage)
  }
  if (!isPlainObject(key)) throw new UsageError(`--key must be a JSON object of key column to value, like ${KEY_EXAMPLE}`, usage)
  return Object.freeze({ ...key })
}
