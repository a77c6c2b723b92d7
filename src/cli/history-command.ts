import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { renderHistory } from '../render/index.js'
import { bitemporal } from '../repository/bitemporal.js'
import type { Version } from '../codec/decode-version.js'
import { tableSqlContext } from '../statement/table-sql-context.js'
import { encodeKey } from '../codec/encode-key.js'
import type { KeyOf, TableDefinition } from '../schema/define-table.js'
import { registeredTableDefinition } from './registered-table-definition.js'
import type { CliIo } from './cli-io.js'
import { writeSvgOption } from './write-svg-option.js'
import { databaseUrl } from './database-url.js'
import { findRegisteredTable } from './find-registered-table.js'
import { formatCell, formatVersionsTable } from './format-versions-table.js'
import type { HistoryCommand } from './parse-history-options.js'
import { databaseTarget, openDatabase } from './open-database.js'
import { UsageError } from './usage-error.js'
import { HISTORY_USAGE } from './usage.js'

type AnyVersion = Version<TableDefinition>

/** What one `history` run read, all from one snapshot. */
interface HistoryReads {
  readonly timeline: readonly AnyVersion[]
  readonly asOf: AnyVersion | undefined
  readonly history: readonly AnyVersion[]
}

/**
 * Runs `bitemporal history <table> --key <json>`: prints the key's timeline
 * as known at `--known-at`, the version valid at `--valid-at` (if given),
 * its whole history, and the text diagram of `renderHistory`; with `--svg`
 * writes the SVG diagram too. The table's definition is rebuilt from the
 * registry ({@link registeredTableDefinition}).
 *
 * @returns the exit code, 0 (also when the key has no versions: that is an answer).
 * @throws {UsageError} for an unknown table, or a key or `--valid-at` that does not fit the table.
 * @throws {ConnectionError} when the database cannot be reached.
 */
export async function historyCommand(command: HistoryCommand, io: CliIo): Promise<number> {
  const url = databaseUrl(command.url, io, HISTORY_USAGE)
  const db = await openDatabase(url, databaseTarget(url, HISTORY_USAGE))
  try {
    const registered = await findRegisteredTable(db, command.table, HISTORY_USAGE)
    const definition = await registeredTableDefinition(db, registered)
    const key = checkedKey(definition, command.key)
    const validAt = command.validAt === undefined ? undefined : checkedValidAt(definition, command.validAt)
    const reads = await readSnapshot(db, definition, key, validAt, command.knownAt)

    const known = command.knownAt === undefined ? 'as known now (current knowledge)' : `as known at ${command.knownAt}`
    const out: string[] = [`${registered.displayName}  ${keyText(definition, key)}\n`]
    out.push(`\nTimeline ${known}, by effective start:\n`, table(definition, reads.timeline))
    if (validAt !== undefined) out.push(`\nValid at ${validAt} ${known}:\n`, table(definition, reads.asOf === undefined ? [] : [reads.asOf]))
    out.push(`\nHistory, every version ever recorded, by system start:\n`, table(definition, reads.history))
    out.push(`\n${renderHistory(reads.history, { format: 'text' })}`)
    io.stdout(out.join('').replace(/\n*$/, '\n'))

    if (command.svg !== undefined) {
      await writeSvgOption(io, command.svg, renderHistory(reads.history, { format: 'svg' }))
    }
    return 0
  } finally {
    await db.destroy()
  }
}

/**
 * The three reads in one read-only REPEATABLE READ transaction, so a write
 * committed between them cannot make the timeline and the history disagree.
 */
async function readSnapshot(
  db: AnyKysely,
  definition: TableDefinition,
  key: KeyOf<TableDefinition>,
  validAt: string | undefined,
  knownAt: string | undefined,
): Promise<HistoryReads> {
  const at = knownAt === undefined ? {} : { knownAt }
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      // One-shot process: named statements would be prepared for a single use.
      const repository = bitemporal(trx, definition, { prepare: false })
      return {
        timeline: await repository.timeline(key, at),
        asOf: validAt === undefined ? undefined : await repository.asOf(key, { validAt, ...at }),
        history: await repository.history(key),
      }
    })
}

function table(definition: TableDefinition, versions: readonly AnyVersion[]): string {
  return versions.length === 0 ? '(none)\n' : formatVersionsTable(definition, versions)
}

/** The key checked against the table's key columns and their types, before anything is read. */
function checkedKey(definition: TableDefinition, key: Readonly<Record<string, unknown>>): KeyOf<TableDefinition> {
  try {
    encodeKey(tableSqlContext(definition), key)
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    const columns = definition.keyColumns.map((column) => `${column.name} (${column.type})`).join(', ')
    throw new UsageError(`--key: ${error.description} [key columns: ${columns}]`, HISTORY_USAGE)
  }
  return key
}

/** A day on date tables; on timestamp tables an instant, a day meaning its start in UTC. */
function checkedValidAt(definition: TableDefinition, validAt: string): string {
  const isDay = !validAt.includes('T') && !validAt.includes(' ')
  if (definition.validTime === 'timestamp') return isDay ? `${validAt}T00:00:00Z` : validAt
  if (!isDay) {
    throw new UsageError(`--valid-at: ${definition.name} has valid time in days; give a day YYYY-MM-DD, got ${validAt}`, HISTORY_USAGE)
  }
  return validAt
}

function keyText(definition: TableDefinition, key: KeyOf<TableDefinition>): string {
  return definition.keyColumns.map((column) => `${column.name}=${formatCell(key[column.name])}`).join(' ')
}
