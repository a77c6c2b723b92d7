import { OperationNodeTransformer, type QueryId, type SelectQueryNode } from 'kysely'

/** Restricted SELECT → the SELECT as written, for one plugin instance. */
export type RestrictedSelects = WeakMap<SelectQueryNode, SelectQueryNode>

/**
 * Gives a data-modifying statement back as written: every SELECT in it that
 * the plugin restricted while it was a builder of its own (a subquery built
 * on the plugged-in instance) becomes the SELECT that was written.
 */
export class AsWrittenTransformer extends OperationNodeTransformer {
  readonly #restricted: RestrictedSelects

  constructor(restricted: RestrictedSelects) {
    super()
    this.#restricted = restricted
  }

  protected override transformSelectQuery(node: SelectQueryNode, queryId?: QueryId): SelectQueryNode {
    return super.transformSelectQuery(this.#restricted.get(node) ?? node, queryId)
  }
}
