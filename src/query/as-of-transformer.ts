import {
  AliasNode,
  AndNode,
  type DeleteQueryNode,
  IdentifierNode,
  type InsertQueryNode,
  JoinNode,
  type MergeQueryNode,
  type OperationNode,
  OperationNodeTransformer,
  ParensNode,
  type QueryId,
  type SelectQueryNode,
  TableNode,
  type UpdateQueryNode,
  WhereNode,
  type WithNode,
} from 'kysely'
import { InvalidInputError } from '../errors/errors.js'
import type { TableDefinition } from '../schema/define-table.js'
import { asOfCondition } from './as-of.js'
import type { ResolvedInstant } from './as-of-instant.js'
import { AsWrittenTransformer, type RestrictedSelects } from './as-written-transformer.js'

/** A table the plugin restricts, with the instant validated for it. */
export interface TemporalTable {
  readonly definition: TableDefinition
  readonly instant: ResolvedInstant
}

/** A temporal table as one query names it. */
interface Match {
  readonly table: TemporalTable
  /** Alias, or the table as written (`['billing', 'tax_rates']`). */
  readonly reference: readonly string[]
}

// Where a restriction goes so that it means "this table, as of the instant":
// the ON of an inner or left join keeps the outer join's null rows; the
// WHERE serves FROM items and cross joins.
const IN_ON: ReadonlySet<string> = new Set(['InnerJoin', 'LeftJoin', 'LateralInnerJoin', 'LateralLeftJoin'])
const IN_WHERE: ReadonlySet<string> = new Set(['CrossJoin', 'LateralCrossJoin', 'CrossApply'])

/**
 * Adds the as-of condition of every temporal table a SELECT names, in its
 * FROM and its joins, at every level: subqueries anywhere, CTEs, set
 * operations. One instance per query (it keeps the CTE names in scope).
 */
export class AsOfTransformer extends OperationNodeTransformer {
  readonly #tables: readonly TemporalTable[]
  readonly #restricted: RestrictedSelects
  /** CTE names visible from the SELECTs being transformed: an unqualified name among them is the CTE, not the table. */
  readonly #cteScopes: (readonly string[])[] = []

  /**
   * @param restricted SELECTs this plugin instance has restricted, each with
   *   the SELECT as written. Kysely runs a builder's plugins when the builder
   *   becomes a subquery, so a subquery built on the plugged-in instance
   *   arrives restricted, without knowing where it now stands: it is
   *   restricted again from what was written, in the CTE scope of the query
   *   around it, and inside a data-modifying statement not at all.
   */
  constructor(tables: readonly TemporalTable[], restricted: RestrictedSelects) {
    super()
    this.#tables = tables
    this.#restricted = restricted
  }

  protected override transformSelectQuery(node: SelectQueryNode, queryId?: QueryId): SelectQueryNode {
    const written = this.#restricted.get(node) ?? node
    this.#cteScopes.push(cteNames(written.with))
    try {
      const restricted = this.#restrict(super.transformSelectQuery(written, queryId))
      this.#restricted.set(restricted, written)
      return restricted
    } finally {
      this.#cteScopes.pop()
    }
  }

  // PostgreSQL's scoping: a CTE body sees the CTEs before it, or with
  // RECURSIVE all of them; "with t as (select * from t)" reads the table t.
  protected override transformWith(node: WithNode, queryId?: QueryId): WithNode {
    const names = cteNames(node)
    const top = this.#cteScopes.length - 1
    const outer = this.#cteScopes[top] ?? []
    try {
      const expressions = node.expressions.map((cte, i) => {
        this.#cteScopes[top] = node.recursive === true ? names : names.slice(0, i)
        return this.transformNode(cte, queryId)
      })
      return Object.freeze({ ...node, expressions: Object.freeze(expressions) })
    } finally {
      this.#cteScopes[top] = outer
    }
  }

  // Data-modifying statements are left exactly as written, also inside a
  // SELECT's CTE: restricting an UPDATE's subquery would change which rows
  // it writes, which is not the plugin's call to make.
  protected override transformUpdateQuery(node: UpdateQueryNode, queryId?: QueryId): UpdateQueryNode {
    return new AsWrittenTransformer(this.#restricted).transformNode(node, queryId)
  }

  protected override transformDeleteQuery(node: DeleteQueryNode, queryId?: QueryId): DeleteQueryNode {
    return new AsWrittenTransformer(this.#restricted).transformNode(node, queryId)
  }

  protected override transformInsertQuery(node: InsertQueryNode, queryId?: QueryId): InsertQueryNode {
    return new AsWrittenTransformer(this.#restricted).transformNode(node, queryId)
  }

  protected override transformMergeQuery(node: MergeQueryNode, queryId?: QueryId): MergeQueryNode {
    return new AsWrittenTransformer(this.#restricted).transformNode(node, queryId)
  }

  #restrict(node: SelectQueryNode): SelectQueryNode {
    const inWhere: OperationNode[] = []
    for (const item of node.from?.froms ?? []) {
      const match = this.#match(item)
      if (match !== undefined) inWhere.push(this.#condition(match))
    }
    let joined = false
    const joins: JoinNode[] = []
    for (const join of node.joins ?? []) {
      const match = this.#match(join.table)
      if (match === undefined) {
        joins.push(join)
      } else if (IN_ON.has(join.joinType)) {
        const on = this.#condition(match)
        joins.push(JoinNode.createWithOn(join.joinType, join.table, join.on === undefined ? on : AndNode.create(grouped(join.on.on), on)))
        joined = true
      } else if (IN_WHERE.has(join.joinType)) {
        inWhere.push(this.#condition(match))
        joins.push(join)
      } else {
        throw unsupportedJoin(join.joinType, match)
      }
    }
    if (inWhere.length === 0 && !joined) return node
    // A right or full join makes the tables before it the nullable side:
    // neither the WHERE nor their own ON would keep its null rows right.
    const outer = node.joins?.find((join) => join.joinType === 'RightJoin' || join.joinType === 'FullJoin')
    if (outer !== undefined && inWhere.length > 0) throw unsupportedJoin(outer.joinType, undefined)
    let where = node.where
    if (inWhere.length > 0) {
      const restriction = inWhere.reduce((left, right) => AndNode.create(left, right))
      where = where === undefined ? WhereNode.create(restriction) : WhereNode.create(AndNode.create(grouped(where.where), restriction))
    }
    return Object.freeze({ ...node, ...(joined ? { joins: Object.freeze(joins) } : {}), ...(where === undefined ? {} : { where }) })
  }

  #match(item: OperationNode): Match | undefined {
    const [tableNode, alias] = AliasNode.is(item) ? [item.node, item.alias] : [item, undefined]
    if (!TableNode.is(tableNode)) return undefined
    const schema = tableNode.table.schema?.name
    const name = tableNode.table.identifier.name
    if (schema === undefined && this.#cteScopes.some((scope) => scope.includes(name))) return undefined
    // Matched by name; a schema must agree only where both sides name one,
    // so a definition "billing.x" still restricts "x" found on the search_path.
    const matches = this.#tables.filter(
      ({ definition: { table } }) => table.name === name && (schema === undefined || table.schema === undefined || table.schema === schema),
    )
    if (matches.length > 1) {
      throw new InvalidInputError(
        `asOfPlugin: the query names table "${name}" without a schema, and the plugin has more than one definition of that name (${matches.map((m) => m.definition.name).join(', ')}); qualify it in the query`,
      )
    }
    const [table] = matches
    if (table === undefined) return undefined
    const reference =
      alias !== undefined && IdentifierNode.is(alias) ? [alias.name] : schema === undefined ? [name] : [schema, name]
    return { table, reference }
  }

  #condition(match: Match): OperationNode {
    return asOfCondition(match.table.definition, match.reference, match.table.instant).toOperationNode()
  }
}

function cteNames(node: WithNode | undefined): readonly string[] {
  return node?.expressions.map((cte) => cte.name.table.table.identifier.name) ?? []
}

/** A caller's condition that could bind looser than `and` (a raw `a or b`) gets parentheses. */
function grouped(node: OperationNode): OperationNode {
  return node.kind === 'OrNode' || node.kind === 'RawNode' ? ParensNode.create(node) : node
}

function unsupportedJoin(joinType: string, match: Match | undefined): InvalidInputError {
  const table = match === undefined ? 'a temporal table' : `"${match.table.definition.name}"`
  return new InvalidInputError(
    `asOfPlugin: ${table} takes part in a ${joinType} in the same SELECT; the plugin restricts tables in FROM, inner, left and cross joins only. ` +
      `Write it as a left join, or join a subquery (selectFrom(table).selectAll().as(alias)), which the plugin restricts on its own`,
  )
}
