import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { EmbeddedServerError } from './embedded-server-error.js'

/** An OS user that `initdb` and `postgres` run as. */
export interface OsUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
}

const run = promisify(execFile)
const NAME = 'postgres'
/** groupadd's exit code when the group exists already. */
const GROUP_EXISTS = 9

/** Whether this process runs as root, where PostgreSQL refuses to run. */
export function runsAsRoot(): boolean {
  return process.getuid?.() === 0
}

/**
 * The OS user PostgreSQL runs as: `undefined` (this process's own user)
 * unless this process is root, which PostgreSQL refuses to run as. As root
 * it is the user `postgres`, made (as a system user without a home folder)
 * when there is none.
 *
 * @example
 * ```ts
 * const user = await postgresOsUser()
 * // as root: { name: 'postgres', uid: 101, gid: 104 }; otherwise undefined
 * ```
 */
export async function postgresOsUser(): Promise<OsUser | undefined> {
  if (!runsAsRoot()) return undefined
  const existing = await lookUp()
  if (existing !== undefined) return existing
  try {
    await run('groupadd', ['--system', NAME]).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== GROUP_EXISTS) throw error
    })
    await run('useradd', ['--system', '--no-create-home', '--gid', NAME, NAME])
  } catch (error) {
    throw new EmbeddedServerError(
      'NO_OS_USER',
      `PostgreSQL does not run as root, and there is no OS user ${NAME} to run it as; making one failed ` +
        `(${firstLine(error)}). Make one (\`useradd --system postgres\`), run as another user, or set DATABASE_URL.`,
      { cause: error },
    )
  }
  const made = await lookUp()
  if (made === undefined) {
    throw new EmbeddedServerError('NO_OS_USER', `useradd succeeded but \`id ${NAME}\` still finds no such user; set DATABASE_URL instead.`)
  }
  return made
}

async function lookUp(): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', NAME]), run('id', ['-g', NAME])])
    return { name: NAME, uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) }
  } catch {
    return undefined
  }
}

function firstLine(error: unknown): string {
  const { stderr, message } = error as { stderr?: unknown; message?: unknown }
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : String(message ?? error)
  return text.trim().split('\n')[0] ?? ''
}
