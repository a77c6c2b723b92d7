import { appendFileSync } from 'node:fs'

/**
 * Prints a scenario's figures as one line of JSON (vitest shows it under the
 * test), and appends it to the file `BITEMPORAL_RELIABILITY_REPORT` names, if
 * set: docs/reliability.md quotes those lines.
 */
export function report(scenario: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ scenario, at: new Date().toISOString(), ...figures })
  console.info(`reliability ${line}`)
  const file = process.env['BITEMPORAL_RELIABILITY_REPORT']
  if (file !== undefined && file !== '') appendFileSync(file, `${line}\n`)
}
