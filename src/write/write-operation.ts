/**
 * The six writes of docs/semantics.md §3. `setFrom` is `set` without `to`:
 * the timeline change, whose portion ends at the next change point.
 */
export type WriteOperation = 'insert' | 'set' | 'setFrom' | 'update' | 'correct' | 'delete'
