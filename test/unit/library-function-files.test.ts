import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LIBRARY_SQL_FOLDER } from '../../src/install/install.js'

/** Every `.sql` file under `folder`, as paths relative to the library's SQL folder. */
function sqlFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry)
    if (statSync(path).isDirectory()) return sqlFiles(path)
    return entry.endsWith('.sql') ? [relative(LIBRARY_SQL_FOLDER, path)] : []
  })
}

const files = sqlFiles(LIBRARY_SQL_FOLDER).map((file) => ({ file, text: readFileSync(join(LIBRARY_SQL_FOLDER, file), 'utf8') }))
const DEFINITION = /create\s+(?:or\s+replace\s+)?function\s+(?:bitemporal\.)?(\w+)\s*\(/gi
// The "own row" test of a row's xmin: the current transaction's epoch joined to the 32-bit xmin.
const OWN_ROW = /pg_current_xact_id\(\)::text::bigint\s*>>\s*32/g

describe("the library's SQL files", () => {
  it('define each function in exactly one file, functions/<name>.sql, and no versioned file defines one', () => {
    const definedIn = new Map<string, string[]>()
    for (const { file, text } of files) {
      for (const match of text.matchAll(DEFINITION)) {
        const name = (match[1] ?? '').toLowerCase()
        definedIn.set(name, [...(definedIn.get(name) ?? []), file])
      }
    }
    expect(definedIn.size).toBeGreaterThan(10)
    const misplaced = [...definedIn].filter(([name, where]) => where.length !== 1 || where[0] !== join('functions', `${name}.sql`))
    expect(misplaced, 'functions defined elsewhere than in their one file').toEqual([])
  })

  it('each function file defines the function it is named after', () => {
    const functionFiles = files.filter(({ file }) => dirname(file) === 'functions')
    expect(functionFiles.length).toBeGreaterThan(10)
    for (const { file, text } of functionFiles) {
      expect([...text.matchAll(DEFINITION)].map((match) => match[1]), file).toEqual([basename(file, '.sql')])
    }
  })

  it('write the own-row expression once, in bitemporal.is_own_row', () => {
    const hits = files.flatMap(({ file, text }) => [...text.matchAll(OWN_ROW)].map(() => file))
    expect(hits).toEqual([join('functions', 'is_own_row.sql')])
  })
})
