import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LIBRARY_SQL_FOLDER } from '../../src/install/install.js'
import { sqlStatements } from '../../src/schema/sql-statements.js'

// One statement per query, as every driver can run them (docs/drivers.md):
// where a .sql file's statements end.

describe('sqlStatements', () => {
  it('splits at semicolons outside dollar-quoted bodies, strings, quoted identifiers and comments', () => {
    const text = [
      "create table t (a text default 'x;y', \"b;c\" int); -- a comment; with a semicolon",
      '/* a block; comment */ create function f() returns int language plpgsql as $$ begin return 1; end $$;',
      'create function g() returns int language plpgsql as $body$ begin perform 1; return 2; end $body$;',
      'select 1',
    ].join('\n')
    const statements = sqlStatements(text).map((statement) => statement.trim())
    expect(statements).toHaveLength(4)
    expect(statements[0]).toBe("create table t (a text default 'x;y', \"b;c\" int)")
    expect(statements[1]).toMatch(/^-- a comment; with a semicolon\n\/\* a block; comment \*\/ create function f\(\).*end \$\$$/s)
    expect(statements[2]).toMatch(/^create function g\(\).*end \$body\$$/)
    expect(statements[3]).toBe('select 1')
  })

  it('gives nothing for blank lines and empty statements', () => {
    expect(sqlStatements('\n  \n;\n')).toEqual([])
  })

  it("splits the library's own SQL into statements that each start with SQL or a comment and keep every function body whole", () => {
    const versions = readdirSync(LIBRARY_SQL_FOLDER).filter((name) => name.endsWith('.sql'))
    const functions = readdirSync(join(LIBRARY_SQL_FOLDER, 'functions')).map((name) => join('functions', name))
    expect(functions.length).toBeGreaterThan(10)
    for (const file of [...versions, ...functions]) {
      const text = readFileSync(join(LIBRARY_SQL_FOLDER, file), 'utf8')
      const statements = sqlStatements(text)
      expect(statements.length, file).toBeGreaterThan(0)
      for (const statement of statements) {
        // A body cut in two leaves an odd number of its dollar quotes in a statement.
        const quotes = statement.match(/\$[A-Za-z_]*\$/g) ?? []
        const counts = new Map<string, number>()
        for (const quote of quotes) counts.set(quote, (counts.get(quote) ?? 0) + 1)
        for (const [quote, count] of counts) expect(count % 2, `${file}: ${quote} in ${statement.slice(0, 80)}`).toBe(0)
      }
    }
  })
})
