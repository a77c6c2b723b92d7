import { stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { OsUser } from './postgres-os-user.js'

/** A folder on the way to a file that a user may not pass through. */
export interface ClosedFolder {
  readonly path: string
  /** Its permission bits, e.g. `0700`. */
  readonly mode: string
}

/**
 * The outermost folder above `path` that `user` may not enter, judged by
 * owner, group and mode bits (supplementary groups and ACLs are not
 * looked at), or `undefined` when every folder is open to them. It only
 * explains an EACCES after the fact, for the error message.
 *
 * @example
 * ```ts
 * await firstClosedFolder('/root/app/node_modules/x/bin/initdb', { name: 'postgres', uid: 101, gid: 104 })
 * // { path: '/root', mode: '0700' }
 * ```
 */
export async function firstClosedFolder(path: string, user: OsUser): Promise<ClosedFolder | undefined> {
  const folders: string[] = []
  for (let folder = dirname(resolve(path)); ; folder = dirname(folder)) {
    folders.unshift(folder)
    if (folder === dirname(folder)) break
  }
  for (const folder of folders) {
    let stats
    try {
      stats = await stat(folder)
    } catch {
      return undefined
    }
    const searchBit = stats.uid === user.uid ? 0o100 : stats.gid === user.gid ? 0o010 : 0o001
    if ((stats.mode & searchBit) === 0) return { path: folder, mode: `0${(stats.mode & 0o777).toString(8)}` }
  }
  return undefined
}
