import { describe, expect, it } from 'vitest'
import {
  BitemporalError,
  type BitemporalErrorCode,
  ConcurrentWriteError,
  ConflictError,
  ConversionPendingError,
  DatabaseError,
  HistoryWouldBeLostError,
  ImmutableHistoryError,
  InvalidInputError,
  MigrationEditedError,
  MigrationFailedError,
  NotFoundError,
  OverlapError,
  ReferenceViolationError,
} from '../../src/errors/errors.js'
import { mapDatabaseError } from '../../src/errors/map-database-error.js'
import { DefinitionMismatchError, TableNeedsUpgradeError } from '../../src/errors/schema-change-errors.js'
import { TableMismatchError } from '../../src/errors/table-mismatch-error.js'

/** `value` as an instance of `type`, failing the test if it is not one. */
function instanceOf<T>(type: abstract new (...args: never[]) => T, value: unknown): T {
  expect(value).toBeInstanceOf(type)
  if (!(value instanceof type)) throw new Error(`expected an instance of ${type.name}`)
  return value
}

/** Shaped like the `DatabaseError` that `pg` throws. */
function pgError(fields: Record<string, unknown>): Error & Record<string, unknown> {
  return Object.assign(new Error(typeof fields['message'] === 'string' ? fields['message'] : 'failed'), fields)
}

describe('mapDatabaseError: SQLSTATE to error class', () => {
  it('maps 23P01 (exclusion violation) to OverlapError, naming the constraint', () => {
    const cause = pgError({
      code: '23P01',
      message: 'conflicting key value violates exclusion constraint "tax_rates_no_overlap"',
      detail: 'Key (state_id, effective, system)=(1, [2023-01-01,), ...) conflicts with existing key',
      constraint: 'tax_rates_no_overlap',
    })
    const error = mapDatabaseError(cause)
    expect(error).toBeInstanceOf(OverlapError)
    expect(error.code).toBe('OVERLAP')
    expect(error.sqlState).toBe('23P01')
    expect(error.retryable).toBe(false)
    expect(error.cause).toBe(cause)
    expect(instanceOf(OverlapError, error).constraint).toBe('tax_rates_no_overlap')
    expect(error.message).toContain('tax_rates_no_overlap')
    expect(error.message).toContain('conflicts with existing key')
  })

  it('leaves constraint undefined when the database did not report one', () => {
    const error = mapDatabaseError(pgError({ code: '23P01', constraint: '' }))
    expect(error).toBeInstanceOf(OverlapError)
    expect(instanceOf(OverlapError, error).constraint).toBeUndefined()
  })

  it.each(['40001', '40P01'])('maps %s to a retryable ConcurrentWriteError', (code) => {
    const cause = pgError({ code, message: 'could not serialize access due to concurrent update' })
    const error = mapDatabaseError(cause)
    expect(error).toBeInstanceOf(ConcurrentWriteError)
    expect(error.code).toBe('CONCURRENT_WRITE')
    expect(error.retryable).toBe(true)
    expect(error.sqlState).toBe(code)
    expect(error.cause).toBe(cause)
  })

  it('keeps the key lock a write found busy (the end of the library\'s detail), and only that', () => {
    const busy = mapDatabaseError(pgError({ code: '40001', message: 'bitemporal: a concurrent transaction changed…', detail: 'update on "rates"; key lock -4611686018427387904' }))
    expect(instanceOf(ConcurrentWriteError, busy).keyLock).toBe('-4611686018427387904')
    const changed = mapDatabaseError(pgError({ code: '40001', message: 'bitemporal: a concurrent transaction changed…', detail: 'update on "rates"' }))
    expect(instanceOf(ConcurrentWriteError, changed).keyLock).toBeUndefined()
    const theirs = mapDatabaseError(pgError({ code: '40001', message: 'could not serialize access', detail: 'key lock 12 is mentioned; elsewhere' }))
    expect(instanceOf(ConcurrentWriteError, theirs).keyLock).toBeUndefined()
  })

  it('maps BT001 (raised by the history trigger) to ImmutableHistoryError, keeping message and hint', () => {
    const cause = pgError({
      code: 'BT001',
      message: 'bitemporal: DELETE on public.tax_rates is not allowed: history is never deleted',
      hint: 'End an entity validity with a write.',
    })
    const error = mapDatabaseError(cause)
    expect(error).toBeInstanceOf(ImmutableHistoryError)
    expect(error.code).toBe('IMMUTABLE_HISTORY')
    expect(error.sqlState).toBe('BT001')
    expect(error.retryable).toBe(false)
    expect(error.cause).toBe(cause)
    expect(error.message).toContain('DELETE on public.tax_rates is not allowed')
    expect(error.message).toContain('Hint: End an entity validity with a write.')
  })

  it('maps BT005 (raised by the guard of dropTableSql) to HistoryWouldBeLostError, keeping message and hint', () => {
    const cause = pgError({
      code: 'BT005',
      message: 'bitemporal: refusing to drop "tax_rates": it holds 4 versions: history that dropping the table would destroy. Nothing was dropped.',
      hint: 'To drop them knowingly, pass { discardHistory: true }.',
    })
    const error = instanceOf(HistoryWouldBeLostError, mapDatabaseError(cause))
    expect(error.code).toBe('HISTORY_WOULD_BE_LOST')
    expect(error.sqlState).toBe('BT005')
    expect(error.retryable).toBe(false)
    expect(error.cause).toBe(cause)
    expect(error.message).toContain('refusing to drop "tax_rates": it holds 4 versions')
    expect(error.message).toContain('Hint: To drop them knowingly, pass { discardHistory: true }.')
  })

  it.each(['22P02', '22003', '22007', '22008'])('maps data exception %s (a value its column cannot hold) to InvalidInputError', (code) => {
    const cause = pgError({ code, message: 'invalid input syntax for type integer: "1.5"' })
    const mapped = instanceOf(InvalidInputError, mapDatabaseError(cause))
    expect(mapped.code).toBe('INVALID_INPUT')
    expect(mapped.sqlState).toBe(code)
    expect(mapped.cause).toBe(cause)
    expect(mapped.message).toContain('invalid input syntax for type integer')
  })

  it('maps BT002 to ReferenceViolationError', () => {
    const cause = pgError({ code: 'BT002', message: 'child valid where parent is not' })
    const error = mapDatabaseError(cause)
    expect(error).toBeInstanceOf(ReferenceViolationError)
    expect(error.code).toBe('REFERENCE_VIOLATION')
    expect(error.sqlState).toBe('BT002')
    expect(error.cause).toBe(cause)
  })

  it('maps BT003 (a write to a plain table with a resumable conversion pending) to ConversionPendingError, not retryable', () => {
    const cause = pgError({ code: 'BT003', message: 'bitemporal: INSERT on public.plans_plain is refused', hint: 'Run convertToBitemporal again' })
    const error = mapDatabaseError(cause)
    expect(error).toBeInstanceOf(ConversionPendingError)
    expect(error.code).toBe('CONVERSION_PENDING')
    expect(error.retryable).toBe(false)
    expect(error.sqlState).toBe('BT003')
    expect(error.message).toContain('Hint: Run convertToBitemporal again')
    expect(error.cause).toBe(cause)
  })

  it('maps BT004 (createTable found a column type PostgreSQL does not know) to InvalidInputError, keeping message and hint', () => {
    const cause = pgError({ code: 'BT004', message: 'bitemporal: column "rate" of "tax_rates" has type "int4eger", which PostgreSQL does not know', hint: 'An enum … must be created before the table' })
    const error = instanceOf(InvalidInputError, mapDatabaseError(cause))
    expect([error.code, error.sqlState, error.retryable, error.cause]).toEqual(['INVALID_INPUT', 'BT004', false, cause])
    expect(error.message).toBe('bitemporal: column "rate" of "tax_rates" has type "int4eger", which PostgreSQL does not know Hint: An enum … must be created before the table')
  })

  it.each(['23505', '23514', '42601', '42P01', '57014', '40003'])(
    'maps any other SQLSTATE (%s) to DatabaseError with that sqlState',
    (code) => {
      const cause = pgError({ code, message: 'something went wrong' })
      const error = mapDatabaseError(cause)
      expect(error).toBeInstanceOf(DatabaseError)
      expect(error.constructor).toBe(DatabaseError)
      expect(error.code).toBe('DATABASE_ERROR')
      expect(error.sqlState).toBe(code)
      expect(error.retryable).toBe(false)
      expect(error.cause).toBe(cause)
      expect(error.message).toContain(code)
      expect(error.message).toContain('something went wrong')
    },
  )

  it('maps an error with neither a code nor a connection message to DatabaseError without sqlState', () => {
    const cause = new Error('something odd in the driver')
    const error = mapDatabaseError(cause)
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.sqlState).toBeUndefined()
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('something odd in the driver')
    expect(error.cause).toBe(cause)
  })

  // Decision 79: what the client detects itself gets SQLSTATE class 08, as PgJDBC does.
  it.each([
    { syscall: 'connect', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1', sqlState: '08001' },
    { syscall: 'getaddrinfo', code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.invalid', sqlState: '08001' },
    { syscall: 'read', code: 'ECONNRESET', message: 'read ECONNRESET', sqlState: '08006' },
    { syscall: 'write', code: 'EPIPE', message: 'write EPIPE', sqlState: '08006' },
  ])('maps a socket error ($code in $syscall) to DatabaseError with SQLSTATE $sqlState, not the errno name', ({ syscall, code, message, sqlState }) => {
    const cause = Object.assign(new Error(message), { syscall, code, errno: -1 })
    const error = mapDatabaseError(cause)
    expect(error.constructor).toBe(DatabaseError)
    expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState, retryable: false })
    expect(error.message).toContain(message)
    expect(error.message).toContain(sqlState === '08001' ? 'could not connect' : 'read the rows back')
    expect(error.cause).toBe(cause)
  })

  it.each(['Connection terminated unexpectedly', 'Connection terminated', 'Client has encountered a connection error and is not queryable'])(
    "maps pg's own connection-loss error (%s) to SQLSTATE 08006",
    (message) => {
      const error = mapDatabaseError(new Error(message))
      expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState: '08006', retryable: false })
      expect(error.message).toContain('a COMMIT in flight may have taken effect')
    },
  )

  it("maps pg's connection timeout to SQLSTATE 08001: no connection was made", () => {
    const error = mapDatabaseError(new Error('Connection terminated due to connection timeout'))
    expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState: '08001', retryable: false })
    expect(error.message).toContain('could not connect to the server')
  })

  it('keeps a server-sent SQLSTATE even when the message looks like a lost connection', () => {
    const error = mapDatabaseError(pgError({ code: '57P01', message: 'Connection terminated by administrator' }))
    expect(error.sqlState).toBe('57P01')
  })

  it.each(['ERR_INVALID_ARG_TYPE', 'UNSAFE_TRANSACTION', '4000', 'bt001'])(
    "does not take a code that is not five digits or capitals (%s: Node's, a driver's own) as a SQLSTATE",
    (code) => {
      const error = mapDatabaseError(pgError({ code, message: 'something went wrong' }))
      expect(error.constructor).toBe(DatabaseError)
      expect(error.sqlState).toBeUndefined()
      expect(error.message).toBe('bitemporal: something went wrong')
    },
  )

  // postgres.js reports the constraint as constraint_name, and a connection it lost or could not open with codes of its own.
  it("reads postgres.js's constraint_name", () => {
    const cause = Object.assign(new Error('conflicting key value'), { name: 'PostgresError', code: '23P01', constraint_name: 'prices_no_overlap', table_name: 'prices' })
    expect(instanceOf(OverlapError, mapDatabaseError(cause)).constraint).toBe('prices_no_overlap')
  })

  it.each([
    { code: 'CONNECTION_CLOSED', sqlState: '08006' },
    { code: 'CONNECTION_ENDED', sqlState: '08006' },
    { code: 'CONNECTION_DESTROYED', sqlState: '08006' },
    { code: 'CONNECT_TIMEOUT', sqlState: '08001' },
  ])("maps postgres.js's $code to SQLSTATE $sqlState", ({ code, sqlState }) => {
    const cause = Object.assign(new Error(`write ${code} 127.0.0.1:5432`), { code, errno: code, address: '127.0.0.1', port: 5432 })
    expect(mapDatabaseError(cause)).toMatchObject({ code: 'DATABASE_ERROR', sqlState, retryable: false })
  })

  it('does not take a non-string code as a SQLSTATE', () => {
    const error = mapDatabaseError({ code: 23505, message: 'odd' })
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.sqlState).toBeUndefined()
  })

  it('works on plain objects shaped like pg errors, not only Error instances', () => {
    const cause = { code: '23P01', message: 'conflicting key value', constraint: 'prices_no_overlap' }
    const error = mapDatabaseError(cause)
    expect(error).toBeInstanceOf(OverlapError)
    expect(instanceOf(OverlapError, error).constraint).toBe('prices_no_overlap')
    expect(error.cause).toBe(cause)
  })

  it('returns a BitemporalError unchanged', () => {
    const original = new NotFoundError('no version valid at 2023-01-01')
    expect(mapDatabaseError(original)).toBe(original)
    const overlap = new OverlapError('overlap', { sqlState: '23P01', constraint: 'x' })
    expect(mapDatabaseError(overlap)).toBe(overlap)
  })

  it.each([
    ['a string', 'boom'],
    ['a number', 42],
    ['undefined', undefined],
    ['null', null],
  ])('wraps %s in a DatabaseError that keeps it as cause', (_, thrown) => {
    const error = mapDatabaseError(thrown)
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.cause).toBe(thrown)
    expect(error.sqlState).toBeUndefined()
    expect(error.message).toContain(String(thrown))
  })

  it('maps 42804 from comparing rows of different lengths (the guard after a plain ADD COLUMN) to TableNeedsUpgradeError, naming the table it is told', () => {
    const cause = pgError({ code: '42804', message: 'cannot compare record types with different numbers of columns' })
    const error = instanceOf(TableNeedsUpgradeError, mapDatabaseError(cause, { table: 'billing.prices' }))
    expect(error).toMatchObject({ code: 'TABLE_NEEDS_UPGRADE', table: 'billing.prices', sqlState: '42804', cause, retryable: false })
    expect(error.message).toMatch(/"billing\.prices".*upgradeTable\(db, definition\)/)
    expect(instanceOf(TableNeedsUpgradeError, mapDatabaseError(cause)).table).toBeUndefined()
    // Any other datatype mismatch stays a DatabaseError.
    const other = pgError({ code: '42804', message: 'column "a" is of type integer but expression is of type text' })
    expect(mapDatabaseError(other)).toBeInstanceOf(DatabaseError)
    expect(mapDatabaseError(other).code).toBe('DATABASE_ERROR')
  })

  it('maps an object with no message to a DatabaseError with a message', () => {
    const error = mapDatabaseError({})
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.message.length).toBeGreaterThan(0)
  })
})

describe('mapDatabaseError: what the library knows about its own statement', () => {
  const undefinedColumn = pgError({ code: '42703', message: 'column t.label does not exist' })
  const cachedPlan = pgError({ code: '0A000', message: 'cached plan must not change result type' })

  it('42703 in a repository statement is a TableMismatchError naming the table and the way out; in other SQL a DatabaseError', () => {
    const error = instanceOf(TableMismatchError, mapDatabaseError(undefinedColumn, { table: 'stock' }))
    expect(error).toMatchObject({ code: 'TABLE_MISMATCH', table: 'stock', sqlState: '42703', retryable: false, cause: undefinedColumn })
    expect(error.message).toMatch(/definition of "stock" .*deploy the definition that matches the table.*column t\.label does not exist/)
    expect(mapDatabaseError(undefinedColumn)).toBeInstanceOf(DatabaseError)
  })

  it('a stale plan of a statement prepared again is a retryable ConcurrentWriteError; any other 0A000 a DatabaseError', () => {
    expect(instanceOf(ConcurrentWriteError, mapDatabaseError(cachedPlan, { preparedAgain: true }))).toMatchObject({ retryable: true, sqlState: '0A000', keyLock: undefined })
    expect(mapDatabaseError(cachedPlan)).toBeInstanceOf(DatabaseError)
    const other = pgError({ code: '0A000', message: 'cannot use a multirange here' })
    expect(mapDatabaseError(other, { preparedAgain: true })).toBeInstanceOf(DatabaseError)
  })

  it('refuses an unknown key in its second argument', () => {
    expect(() => mapDatabaseError(undefinedColumn, { tabel: 'stock' } as never)).toThrow(/unknown key "tabel"/)
  })
})

describe('error classes', () => {
  const cases: [string, BitemporalError, BitemporalErrorCode][] = [
    ['OverlapError', new OverlapError('m'), 'OVERLAP'],
    ['NotFoundError', new NotFoundError('m'), 'NOT_FOUND'],
    ['InvalidInputError', new InvalidInputError('m'), 'INVALID_INPUT'],
    ['ConcurrentWriteError', new ConcurrentWriteError('m'), 'CONCURRENT_WRITE'],
    ['ConflictError', new ConflictError('m'), 'CONFLICT'],
    ['ImmutableHistoryError', new ImmutableHistoryError('m'), 'IMMUTABLE_HISTORY'],
    ['HistoryWouldBeLostError', new HistoryWouldBeLostError('m'), 'HISTORY_WOULD_BE_LOST'],
    ['ReferenceViolationError', new ReferenceViolationError('m'), 'REFERENCE_VIOLATION'],
    ['MigrationFailedError', new MigrationFailedError('m'), 'MIGRATION_FAILED'],
    ['MigrationEditedError', new MigrationEditedError('m', ['001_a']), 'MIGRATION_EDITED'],
    ['TableMismatchError', new TableMismatchError('m'), 'TABLE_MISMATCH'],
    ['DatabaseError', new DatabaseError('m'), 'DATABASE_ERROR'],
    ['TableNeedsUpgradeError', new TableNeedsUpgradeError('m'), 'TABLE_NEEDS_UPGRADE'],
    ['DefinitionMismatchError', new DefinitionMismatchError('m', { table: 't', differences: [] }), 'DEFINITION_MISMATCH'],
  ]

  it.each(cases)('%s has its stable code, its class name as name, and is a BitemporalError and an Error', (name, error, code) => {
    expect(error.code).toBe(code)
    expect(error.name).toBe(name)
    expect(error.constructor.name).toBe(name)
    expect(error).toBeInstanceOf(BitemporalError)
    expect(error).toBeInstanceOf(Error)
    // The base class adds the prefix; `description` is the message as given.
    expect(error.message).toBe('bitemporal: m')
    expect(error.description).toBe('m')
    expect(String(error)).toBe(`${name}: bitemporal: m`)
    expect(error.stack).toContain(name)
  })

  it('only ConcurrentWriteError is retryable', () => {
    expect(cases.filter(([, error]) => error.retryable).map(([name]) => name)).toEqual(['ConcurrentWriteError'])
  })

  it('the codes are all different', () => {
    expect(new Set(cases.map(([, , code]) => code)).size).toBe(cases.length)
  })

  it('keeps cause only when given one', () => {
    const cause = new Error('inner')
    expect(new DatabaseError('m', { cause }).cause).toBe(cause)
    expect('cause' in new DatabaseError('m')).toBe(false)
  })

  it('MigrationFailedError names the migration; MigrationEditedError lists the edited ones, frozen', () => {
    expect(new MigrationFailedError('m', { migration: '002_broken' }).migration).toBe('002_broken')
    expect(new MigrationFailedError('m').migration).toBeUndefined()
    const names = ['001_a', '002_b']
    const edited = new MigrationEditedError('m', names)
    names.push('003_c')
    expect(edited.migrations).toEqual(['001_a', '002_b'])
    expect(Object.isFrozen(edited.migrations)).toBe(true)
  })

  it('a subclass of a library error gets its own name', () => {
    class TenantNotFoundError extends NotFoundError {}
    const error = new TenantNotFoundError('m')
    expect(error.name).toBe('TenantNotFoundError')
    expect(error.code).toBe('NOT_FOUND')
  })
})

describe('mapDatabaseError: which call failed', () => {
  const context = { table: 'tax_rates', operation: 'set', key: { state_id: 1, tax_type: 'vat' } }

  it('puts table, operation and a frozen copy of the key on the error it makes', () => {
    const error = mapDatabaseError(pgError({ code: '23514', message: 'new row violates check constraint "positive"' }), context)
    expect({ table: error.table, operation: error.operation, key: error.key }).toEqual(context)
    expect(error.key).not.toBe(context.key)
    expect(Object.isFrozen(error.key)).toBe(true)
  })

  it('fills in what an error mapped deeper down lacks, and keeps what it has', () => {
    const deeper = new ConcurrentWriteError('a schema change committed', { table: 'prices' })
    const error = mapDatabaseError(deeper, context)
    expect(error).toBe(deeper)
    expect({ table: error.table, operation: error.operation, key: error.key }).toEqual({ table: 'prices', operation: 'set', key: context.key })
  })

  it("maps P0002 and 22023 with the library's own message to NotFoundError and InvalidInputError, the message as it was", () => {
    const notFound = mapDatabaseError(pgError({ code: 'P0002', message: 'bitemporal: erase: public.prices has no versions of the key {"sku": "Z"}' }))
    expect(instanceOf(NotFoundError, notFound).message).toBe('bitemporal: erase: public.prices has no versions of the key {"sku": "Z"}')
    const refused = mapDatabaseError(pgError({ code: '22023', message: 'bitemporal: erase: a reason is required (the legal ground, a ticket number)' }))
    expect(instanceOf(InvalidInputError, refused).message).toBe('bitemporal: erase: a reason is required (the legal ground, a ticket number)')
  })

  it('leaves P0002 and 22023 from elsewhere as they were', () => {
    expect(mapDatabaseError(pgError({ code: 'P0002', message: 'query returned no rows' }))).toBeInstanceOf(DatabaseError)
    expect(mapDatabaseError(pgError({ code: '22023', message: 'invalid value' })).message).toBe('bitemporal: a value does not fit its column (SQLSTATE 22023): invalid value')
  })

  it('refuses a context key it does not know', () => {
    expect(() => mapDatabaseError(new Error('x'), { tabel: 't' } as never)).toThrow(/it takes table, operation, key, preparedAgain/)
  })
})
