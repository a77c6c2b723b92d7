/**
 * The six writes of docs/semantics.md §3. `setFrom` is `set` without `to`:
 * the timeline change, whose portion ends at the next change point.
 */
export type WriteOperation = 'insert' | 'set' | 'setFrom' | 'update' | 'correct' | 'delete'

/**
 * The name a user called: `setFrom` is internal, the user wrote `set`.
 * Every message about a write says this name.
 *
 * @example
 * operationName('setFrom') // 'set'
 */
export function operationName(operation: WriteOperation): Exclude<WriteOperation, 'setFrom'> {
  return operation === 'setFrom' ? 'set' : operation
}
