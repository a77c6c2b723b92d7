import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { kyselyMigratorSource } from '../../src/migrate/kysely-migration-api.js'

// The suite runs on each supported Kysely line (0.28 by default, 0.29 under
// `scripts/with-kysely-line.ts 0.29 -- …`, which sets BITEMPORAL_KYSELY) and
// on each supported Node.js line (CI sets BITEMPORAL_NODE to the major it
// starts). These tests make sure a run really is on the line it claims, so a
// green run on "0.29" cannot be 0.28's code.

const root = resolve(import.meta.dirname, '../..')
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }

/** The version of the kysely package that `import 'kysely'` in src/ loads. */
function kyselyVersionSeenFromSource(): string {
  let folder = dirname(createRequire(join(root, 'src/index.ts')).resolve('kysely'))
  while (!existsSync(join(folder, 'package.json')) || (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string }).name !== 'kysely') {
    const parent = dirname(folder)
    if (parent === folder) throw new Error('no package.json of kysely above its entry point')
    folder = parent
  }
  return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string }).version
}

function lineOf(version: string): string {
  return version.replace(/^[^\d]*/, '').split('.').slice(0, 2).join('.')
}

describe('the lines this run is on', () => {
  const kyselyLine = process.env['BITEMPORAL_KYSELY'] ?? lineOf(manifest.devDependencies['kysely'] ?? '')

  it(`loads kysely ${kyselyLine}, and takes its Migrator from where that line keeps it`, async () => {
    expect(lineOf(kyselyVersionSeenFromSource())).toBe(kyselyLine)
    // Kysely 0.28 exports Migrator from 'kysely'; 0.29 only from 'kysely/migration'.
    expect(await kyselyMigratorSource()).toBe(kyselyLine === '0.28' ? 'kysely' : 'kysely/migration')
  })

  const nodeLine = process.env['BITEMPORAL_NODE']
  it(`runs on Node.js ${nodeLine ?? process.versions.node.split('.')[0] ?? ''}, and so do the processes it starts`, async () => {
    if (nodeLine !== undefined) expect(process.versions.node.split('.')[0]).toBe(nodeLine)
    // The CLI, demo and time-zone tests start `node`, `npx tsx` and `npm`
    // from PATH: a run on another line is only honest if they get it too.
    const { stdout } = await promisify(execFile)('node', ['--version'])
    expect(stdout.trim()).toBe(process.version)
  })
})
