import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedServerError } from './embedded-server-error.js'
import type { OsUser } from './postgres-os-user.js'
import { type ProgramSettings, runInitdb } from './postgres-process.js'

/** The password of the `postgres` role of an embedded server: it listens on 127.0.0.1 only. */
export const EMBEDDED_PASSWORD = 'postgres'

/**
 * A new temporary folder for one embedded server, in `os.tmpdir()`.
 *
 * @example
 * ```ts
 * const folder = await makeServerFolder('bitemporal-pg-') // '/tmp/bitemporal-pg-Xb3k9Q'
 * ```
 */
export async function makeServerFolder(prefix: string): Promise<string> {
  try {
    return await mkdtemp(join(tmpdir(), prefix))
  } catch (error) {
    throw fileSystemError(error)
  }
}

/**
 * Runs `initdb` into `<folder>/data` for the role `postgres` with password
 * {@link EMBEDDED_PASSWORD}, and returns that data folder. As root,
 * postgres runs as another user, who must pass through `folder` (made 0755)
 * and own the data folder and the password file initdb reads (0700, 0600;
 * the file is deleted after).
 *
 * @example
 * ```ts
 * const data = await initialiseDataFolder(binaries.initdb, folder, user, settings)
 * const child = await startPostgres(binaries.postgres, ['-D', data, '-p', '54321'], settings)
 * ```
 */
export async function initialiseDataFolder(initdb: string, folder: string, user: OsUser | undefined, settings: ProgramSettings): Promise<string> {
  const dataFolder = join(folder, 'data')
  const passwordFile = join(folder, 'password')
  try {
    await mkdir(dataFolder, { mode: 0o700 })
    await writeFile(passwordFile, `${EMBEDDED_PASSWORD}\n`, { mode: 0o600 })
    if (user !== undefined) {
      await chmod(folder, 0o755)
      await chown(dataFolder, user.uid, user.gid)
      await chown(passwordFile, user.uid, user.gid)
    }
  } catch (error) {
    throw fileSystemError(error)
  }
  await runInitdb(
    initdb,
    [`--pgdata=${dataFolder}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, '--lc-messages=C', '--no-sync'],
    settings,
  )
  await rm(passwordFile, { force: true })
  return dataFolder
}

function fileSystemError(error: unknown): EmbeddedServerError {
  return new EmbeddedServerError(
    'FILE_SYSTEM',
    `Could not make the folder of the embedded PostgreSQL in ${tmpdir()} (${error instanceof Error ? error.message : String(error)}); ` +
      'set TMPDIR to a writable folder, or set DATABASE_URL to use an existing server.',
    { cause: error },
  )
}
