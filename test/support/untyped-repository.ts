import type { WriteResult } from '../../src/repository/repository.js'

/**
 * A repository seen the way plain JavaScript sees it: any argument at all,
 * so tests can hand it the bad input that TypeScript would refuse.
 */
export interface UntypedRepository {
  insert(key: unknown, portion: unknown, values: unknown, options?: unknown): Promise<WriteResult>
  set(key: unknown, portion: unknown, values: unknown, options?: unknown): Promise<WriteResult>
  update(key: unknown, portion: unknown, patch: unknown, options?: unknown): Promise<WriteResult>
  correct(key: unknown, at: unknown, patch: unknown, options?: unknown): Promise<WriteResult>
  delete(key: unknown, portion: unknown, options?: unknown): Promise<WriteResult>
  asOf(key: unknown, options?: unknown): Promise<unknown>
  timeline(key: unknown, options?: unknown): Promise<unknown>
  history(key: unknown): Promise<unknown>
  lastChange(key: unknown): Promise<unknown>
}
