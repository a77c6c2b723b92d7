import { expect } from 'vitest'
import { BitemporalError, type BitemporalErrorCode } from '../../src/errors/errors.js'

/**
 * Runs `run` and expects it to fail with a {@link BitemporalError} whose
 * `code` is `code`; returns the error for more assertions. The async twin
 * of `invalidInput`.
 *
 * A synchronous throw from `run` counts as a failure too (an `await` would
 * see it the same way); whether an API rejects rather than throws is a
 * separate question, asserted where it matters.
 */
export async function rejectsWithCode(run: () => Promise<unknown>, code: BitemporalErrorCode): Promise<BitemporalError> {
  let error: unknown
  try {
    await run()
  } catch (caught) {
    error = caught
  }
  if (error === undefined) throw new Error(`expected a BitemporalError with code ${code}, but the call succeeded`)
  if (!(error instanceof BitemporalError)) {
    throw new Error(`expected a BitemporalError with code ${code}, got ${describeError(error)}`, { cause: error })
  }
  expect(error.code, error.message).toBe(code)
  return error
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)
}
