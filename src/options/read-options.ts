import { InvalidInputError } from '../errors/errors.js'
import { isPlainObject } from '../values/is-plain-object.js'
import { unknownKeys, unknownKeysText } from '../values/unknown-keys.js'

/**
 * Checks the options object of a read: a plain object whose keys are all
 * among `known`. A misspelt option (`knownat`, `untill`) would otherwise be
 * ignored and quietly answer a different question, e.g. current knowledge
 * instead of the past instant the caller meant. The shape in the message
 * marks the options not in `required` with `?`; whether a required one is
 * there is the caller's check, with its own message.
 *
 * @throws {InvalidInputError} naming `operation` and the accepted shape.
 *
 * @example
 * readOptions({ sinse: t }, 'changes', ['since', 'until', 'key'], ['since'])
 * // InvalidInputError: bitemporal: changes: unknown option "sinse"; the options are { since, until?, key? }
 */
export function readOptions(options: unknown, operation: string, known: readonly string[], required: readonly string[] = []): Readonly<Record<string, unknown>> {
  // Built only for a message: every read and write passes through here.
  const shape = (): string => `{ ${known.map((name) => (required.includes(name) ? name : `${name}?`)).join(', ')} }`
  if (!isPlainObject(options)) {
    throw new InvalidInputError(`${operation}: options must be an object ${shape()}`)
  }
  const unknown = unknownKeys(options, known)
  if (unknown.length > 0) {
    throw new InvalidInputError(`${operation}: ${unknownKeysText(unknown, 'option')}; the options are ${shape()}`)
  }
  return options
}
