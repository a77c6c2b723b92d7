import type { Kysely } from 'kysely'

/**
 * A Kysely instance or transaction over any database type. Schema and
 * migration code works on tables the caller's `DB` type may not list yet.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKysely = Kysely<any>
