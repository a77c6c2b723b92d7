import { expect } from 'vitest'
import { InvalidInputError } from '../../src/errors/errors.js'

/** Runs `run`, expects an InvalidInputError (code INVALID_INPUT), and returns it for more assertions. */
export function invalidInput(run: () => unknown): InvalidInputError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError)
    expect((error as InvalidInputError).code).toBe('INVALID_INPUT')
    return error as InvalidInputError
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown')
}
