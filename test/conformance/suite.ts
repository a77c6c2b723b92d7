import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { install } from 'bitemporal'
import { createTestDatabase, type TestDatabase } from 'bitemporal/testing'
import { checkAnalyticsAggregate } from './analytics-aggregate-section.js'

import { checkDiff } from './analytics-diff-section.js'
import { driverName, openDatabase } from './drivers.js'
import { checkErrors } from './errors-section.js'
import { checkModel } from './model-section.js'
import { checkReads } from './reads-section.js'
import { runStory } from './story-section.js'
import { runZoneScenario } from './time-zone-section.js'

// The driver conformance suite (docs/drivers.md): what every supported driver
// must do the same, run from the packed tarball in a fresh project by
// test/package/conformance.test.ts, once per driver and Kysely line. It
// imports only what a user has: 'bitemporal', 'bitemporal/testing', Kysely and
// the drivers. Settings, from the environment:
//   CONFORMANCE_DRIVER             node-postgres | postgres-js | pglite
//   DATABASE_URL                   the server to make a database on (not for pglite)
//   CONFORMANCE_SESSION_TIME_ZONE  a session TimeZone to set on every connection
//   CONFORMANCE_MODEL_RUNS         property-test runs (0 skips the model section)
// It prints one JSON line: each section's 'ok' or its failure, and what the
// time-zone scenario read. The exit code is 0 whatever failed: the JSON says.

const driver = driverName(process.env['CONFORMANCE_DRIVER'])
const sessionTimeZone = process.env['CONFORMANCE_SESSION_TIME_ZONE']
const modelRuns = Number(process.env['CONFORMANCE_MODEL_RUNS'] ?? '3')

const server: TestDatabase | undefined = driver === 'pglite' ? undefined : await createTestDatabase({ prefix: 'bitemporal_conformance' })
const open = await openDatabase(driver, server?.url ?? '', sessionTimeZone)
const sections: Record<string, string> = {}
let zone: unknown
let writes = 0

/** Runs one section; a failure is recorded and the later sections still run. */
async function section(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body()
    sections[name] = 'ok'
  } catch (error) {
    sections[name] = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)
  }
}

try {
  await section('install', () => install(open.db).then(() => undefined))
  let story: Awaited<ReturnType<typeof runStory>> | undefined
  await section('story', async () => {
    story = await runStory(open)
  })
  await section('reads', () => (story === undefined ? Promise.reject(new Error('the story failed')) : checkReads(open, story)))
  await section('diff', () => (story === undefined ? Promise.reject(new Error('the story failed')) : checkDiff(open, story)))
  await section('errors', () => checkErrors(open))
  await section('analytics aggregate', () => checkAnalyticsAggregate(open))
  await section('time zones', async () => {
    zone = await runZoneScenario(open)
  })
  if (modelRuns > 0)
    await section('model', async () => {
      writes = await checkModel(open, modelRuns)
    })
} finally {
  await open.close()
  await server?.drop()
}

const kysely = JSON.parse(await readFile(join(process.cwd(), 'node_modules/kysely/package.json'), 'utf8')) as { version: string }
console.log(JSON.stringify({ driver, kysely: kysely.version, node: process.versions.node, sections, zone, writes }))
