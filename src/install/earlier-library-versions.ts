import { sql } from 'kysely'
import type { AnyKysely } from '../any-kysely.js'

/**
 * The sha256 of library SQL versions as earlier releases shipped them, by
 * name, for the versions later edited on purpose: 0001..0009 held copies of
 * the library's functions until each function got its one file in
 * `sql/functions/` (decision 118). What those copies created, the function
 * files now create, so a database that ran the earlier text holds what the
 * edited text leads to; its recorded checksum is the earlier one, which the
 * runner would report as an edited migration.
 */
export const EARLIER_LIBRARY_VERSION_CHECKSUMS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '0001_core': ['f80dadf4089b601660b794859a7a0b4e0e2aff9c4d5514cd548c68ee5aceb8a5'],
  '0002_writes': ['c186146533ff8931a03f0c9a153f2a6befe093f9a53a5272656453508b1326af'],
  '0003_privileges': ['bd8b791069fd3a6d5b6d9b94dd94ec2cb67c2b116d16882d9345c67204a9196a'],
  '0004_references': ['bd5d40ba1f9a238ce737f46d879edaf41f8ae23ac8655bfdff2d2c32f4c02beb'],
  '0005_erasure': ['799ad15884f23cbd37d964117f437c3ddcf9c20bbdc0a818187de3d343c6197c'],
  '0006_conversion': ['59b66eb226497a7083a7afecff859bfa8d087e7a93152b872c6f9f3e61916f14'],
  '0007_inlined_format': ['5b8e4479681eb4cf73865a4313d2133b92672badb8855af1be3fef37ce54817a'],
  '0008_key_lock_in_detail': ['9d2890ee1ef03f0f7dc0f6d323f524345280f430a5d883d0df50b6ab809e1a19'],
  '0009_cascade_after_later_child': ['c7cc8da77a2dc8b28aea240eacb0130e9d2f430b4bf9b0a776dfa71afb4f075c'],
})

/**
 * Records the current checksum of every applied library version whose
 * recorded checksum is one of its {@link EARLIER_LIBRARY_VERSION_CHECKSUMS}.
 * Any other difference is still an edited migration. One statement, so
 * processes that run it at once agree; nothing happens on a database
 * without the record.
 *
 * @example
 * ```ts
 * await acceptEarlierLibraryVersions(db, new Map([['0001_core', 'ab12…']]))
 * // update bitemporal.library_version_checksum as c set checksum = n.checksum
 * // from jsonb_to_recordset($1) as n (name text, checksum text, earlier text[])
 * // where c.name = n.name and c.checksum = any(n.earlier)
 * ```
 */
export async function acceptEarlierLibraryVersions(db: AnyKysely, current: ReadonlyMap<string, string>): Promise<void> {
  const { rows } = await sql<{ found: boolean }>`
    select to_regclass('bitemporal.library_version_checksum') is not null as found`.execute(db)
  if (rows[0]?.found !== true) return
  const accepted = [...current]
    .filter(([name]) => EARLIER_LIBRARY_VERSION_CHECKSUMS[name] !== undefined)
    .map(([name, checksum]) => ({ name, checksum, earlier: EARLIER_LIBRARY_VERSION_CHECKSUMS[name] }))
  if (accepted.length === 0) return
  await sql`update bitemporal.library_version_checksum as c set checksum = n.checksum
    from jsonb_to_recordset(${JSON.stringify(accepted)}::jsonb) as n (name text, checksum text, earlier text[])
    where c.name = n.name and c.checksum = any(n.earlier)`.execute(db)
}
