import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import type { DiffRow } from '../read/diff/diff.js'
import { renderDiff } from '../render/index.js'
import { bitemporal } from '../repository/bitemporal.js'
import type { Version } from '../codec/decode-version.js'
import type { KeyOf, TableDefinition } from '../schema/define-table.js'
import type { CliIo } from './cli-io.js'
import { writeSvgOption } from './write-svg-option.js'
import { databaseUrl } from './database-url.js'
import { findRegisteredTable } from './find-registered-table.js'
import { formatTextTable } from './format-text-table.js'
import { formatCell, UNBOUNDED } from './format-versions-table.js'
import { databaseTarget, openDatabase } from './open-database.js'
import type { DiffCommand } from './parse-diff-options.js'
import { registeredTableDefinition } from './registered-table-definition.js'
import { UsageError } from './usage-error.js'
import { DIFF_USAGE } from './usage.js'

type AnyDiffRow = DiffRow<TableDefinition>

/**
 * Runs `bitemporal diff <table> --before <time>`: prints where the timeline
 * as known at `--before` differs from the one known at `--after` (default:
 * current knowledge), for every key or `--key`, clamped to
 * `--valid-from`/`--valid-to`: one line per stretch of valid time, each value
 * column then and now, and on audited tables who changed it and why. With
 * `--svg` (and `--key`) writes the key's diagram with the changes
 * highlighted (`renderDiff`). The table's definition is rebuilt from the
 * registry.
 *
 * @returns the exit code, 0 (also when nothing differs: that is an answer).
 * @throws {UsageError} for an unknown table, or options that do not fit the table.
 * @throws {ConnectionError} when the database cannot be reached.
 */
export async function diffCommand(command: DiffCommand, io: CliIo): Promise<number> {
  const url = databaseUrl(command.url, io, DIFF_USAGE)
  const db = await openDatabase(url, databaseTarget(url, DIFF_USAGE))
  try {
    const registered = await findRegisteredTable(db, command.table, DIFF_USAGE)
    const definition = await registeredTableDefinition(db, registered)
    const options = {
      before: command.before,
      after: command.after ?? null,
      ...(command.key === undefined ? {} : { key: command.key as KeyOf<TableDefinition> }),
      validFrom: point(definition, command.validFrom),
      validTo: point(definition, command.validTo),
    }
    const { rows, history } = await readSnapshot(db, definition, options, command.svg !== undefined)
    const window = command.validFrom === undefined && command.validTo === undefined ? '' : `, valid time [${command.validFrom ?? '-'}, ${command.validTo ?? '-'})`
    const heading = `${registered.displayName}: as known at ${command.before} versus ${command.after === undefined ? 'now (current knowledge)' : `as known at ${command.after}`}${window}\n`
    io.stdout(`${heading}\n${rows.length === 0 ? '(no differences)\n' : diffTable(definition, rows)}`)
    if (command.svg !== undefined && history !== undefined) {
      await writeSvgOption(io, command.svg, renderDiff(history, rows, { format: 'svg', before: command.before, after: command.after ?? null }))
    }
    return 0
  } catch (error) {
    // The library checks the key and the window against the table; on a command line that is a usage error.
    if (error instanceof InvalidInputError) throw new UsageError(error.message.replace(/^bitemporal: diff: /, ''), DIFF_USAGE)
    throw error
  } finally {
    await db.destroy()
  }
}

/** The diff, and for `--svg` the key's history, in one read-only REPEATABLE READ transaction: one snapshot. */
async function readSnapshot(
  db: AnyKysely,
  definition: TableDefinition,
  options: Parameters<ReturnType<typeof bitemporal<TableDefinition>>['diff']>[0],
  withHistory: boolean,
): Promise<{ rows: readonly AnyDiffRow[]; history: readonly Version<TableDefinition>[] | undefined }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      // One-shot process: named statements would be prepared for a single use.
      const repository = bitemporal(trx, definition, { prepare: false })
      const rows = await repository.diff(options)
      return { rows, history: withHistory && options.key !== undefined ? await repository.history(options.key) : undefined }
    })
}

/** A day on date tables; on timestamp tables an instant, a day meaning its start in UTC. */
function point(definition: TableDefinition, text: string | undefined): string | null {
  if (text === undefined) return null
  const isDay = !text.includes('T') && !text.includes(' ')
  return definition.validTime === 'timestamp' && isDay ? `${text}T00:00:00Z` : text
}

/**
 * One line per diff row: the key, the valid-time stretch, what happened
 * (`added` where nothing was valid before, `removed` where nothing is now,
 * `changed`), each value column before and after (`-` where no version
 * was valid), and on audited tables who changed it and why.
 */
function diffTable(definition: TableDefinition, rows: readonly AnyDiffRow[]): string {
  const keys = definition.keyColumns.map((column) => column.name)
  const values = definition.valueColumns.map((column) => column.name)
  const header = [
    ...keys,
    'effective from',
    'effective to',
    'change',
    ...values.flatMap((name) => [`${name} before`, `${name} after`]),
    ...(definition.audit ? ['changed by'] : []),
  ]
  const side = (values: AnyDiffRow['before'], name: string): string => (values === null ? UNBOUNDED : formatCell(values[name]))
  const lines = rows.map((row) => [
    ...keys.map((name) => formatCell(row.key[name])),
    row.effective.from,
    row.effective.to ?? UNBOUNDED,
    row.before === null ? 'added' : row.after === null ? 'removed' : 'changed',
    ...values.flatMap((name) => [side(row.before, name), side(row.after, name)]),
    ...(definition.audit ? [(row.audit ?? []).map((entry) => `${entry.systemTime} ${entry.actor ?? '?'}${entry.reason === null ? '' : `: ${entry.reason}`}`).join('; ')] : []),
  ])
  return formatTextTable([header, ...lines])
}
