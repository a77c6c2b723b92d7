import { onTestFailed } from 'vitest'

/**
 * Records a diagnostic line of the running test (an EXPLAIN plan's shape,
 * the outcome counts of a fuzz or contention run) and prints it only when it
 * helps: when the test fails, or always under `BITEMPORAL_TEST_DIAGNOSTICS=1`.
 *
 * Printing them on every run buried the results of `npm test` under some
 * twenty blocks of `stdout | …` that nobody needs while the suite passes
 * (issue 14, item 9). Call it inside a test, where `onTestFailed` can attach.
 *
 * @example
 * ```ts
 * diagnostic(`EXPLAIN ${name}: [${shape.join(', ')}]`)
 * ```
 */
export function diagnostic(line: string): void {
  if (process.env['BITEMPORAL_TEST_DIAGNOSTICS'] === '1') {
    console.info(line)
    return
  }
  onTestFailed(() => {
    console.info(line)
  })
}
