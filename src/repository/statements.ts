import type { WriteOperation } from '../write/write-operation.js'
import { type WriteScope, writeSql } from '../write/write-sql.js'
import { type ChangesStatements, changesStatements } from '../read/changes-sql.js'
import { type DiffStatements, diffStatements } from '../read/diff/diff-sql.js'
import { type ReadStatements, readStatements } from '../read/read-sql.js'
import { type TimelineStatements, timelineStatements } from '../read/timeline-sql.js'
import { NamedStatement } from '../statement/named-statement.js'
import type { TableSqlContext } from '../statement/table-sql-context.js'

/** The statements of one table, built once and shared by every repository of it (`with`). */
export class Statements {
  readonly context: TableSqlContext
  readonly read: { readonly [K in keyof ReadStatements]: string | NamedStatement }
  /** The sequenced timelines: windowed, coalesced. */
  readonly timeline: { readonly [K in keyof TimelineStatements]: string | NamedStatement }
  /** The audit read, over all keys or one. */
  readonly changes: { readonly [K in keyof ChangesStatements]: string | NamedStatement }
  /** Whether statements are named, prepared once per connection. */
  readonly prepare: boolean
  readonly #writes = new Map<string, string | NamedStatement>()
  #diff: { readonly [K in keyof DiffStatements]: string | NamedStatement } | undefined

  constructor(context: TableSqlContext, prepare: boolean) {
    this.context = context
    this.prepare = prepare
    const reads = readStatements(context)
    this.read = Object.freeze({
      asOfCurrent: this.#named(reads.asOfCurrent),
      asOfKnown: this.#named(reads.asOfKnown),
      timelineCurrent: this.#named(reads.timelineCurrent),
      timelineKnown: this.#named(reads.timelineKnown),
      history: this.#named(reads.history),
      lastChange: this.#named(reads.lastChange),
    })
    const timeline = timelineStatements(context)
    this.timeline = Object.freeze({
      windowCurrent: this.#named(timeline.windowCurrent),
      windowKnown: this.#named(timeline.windowKnown),
      coalescedCurrent: this.#named(timeline.coalescedCurrent),
      coalescedKnown: this.#named(timeline.coalescedKnown),
    })
    const changes = changesStatements(context)
    this.changes = Object.freeze({ all: this.#named(changes.all), key: this.#named(changes.key) })
  }

  /** The statement of a write, by where it runs and whether it carries `expect` (see `WriteVariant`). */
  write(operation: WriteOperation, scope: WriteScope, expect: boolean): string | NamedStatement {
    const variant = `${operation} ${scope}${expect ? ' expect' : ''}`
    let statement = this.#writes.get(variant)
    if (statement === undefined) {
      statement = this.#named(writeSql(this.context, operation, { scope, expect }))
      this.#writes.set(variant, statement)
    }
    return statement
  }

  /** The restatement read, over all keys or one: built on first use, as most tables never diff. */
  get diff(): { readonly [K in keyof DiffStatements]: string | NamedStatement } {
    if (this.#diff === undefined) {
      const diff = diffStatements(this.context)
      this.#diff = Object.freeze({ all: this.#named(diff.all), key: this.#named(diff.key) })
    }
    return this.#diff
  }

  #named(text: string): string | NamedStatement {
    return this.prepare ? new NamedStatement(text) : text
  }
}
