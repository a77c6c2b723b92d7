// Run by test/integration/repository-time-zones.test.ts in a child process
// whose TZ is set (Node reads TZ at startup): `tsx time-zone-child.ts <url> <table>`.
// Prints one JSON line: the process's UTC offset and the scenario's results.
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { bitemporal } from '../../src/repository/bitemporal.js'
import { countDates, normalise, runZoneScenario, zoneTable } from './time-zone-scenario.js'

const [url, table] = process.argv.slice(2)
if (url === undefined || table === undefined) throw new Error('usage: time-zone-child.ts <database url> <table>')

const pool = new pg.Pool({ connectionString: url, max: 1 })
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table is created by the parent
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
try {
  const result = await runZoneScenario(bitemporal(db, zoneTable(table)))
  process.stdout.write(
    `${JSON.stringify({
      tz: process.env['TZ'] ?? null,
      // Minutes to add to local time to get UTC, as JavaScript reports it, at UTC midnight 2023-01-01.
      offset: new Date('2023-01-01T00:00:00Z').getTimezoneOffset(),
      localDay: new Date('2023-03-01T23:30:00Z').getDate(),
      dates: countDates(result),
      normalised: normalise(result),
    })}\n`,
  )
} finally {
  await db.destroy()
}
