import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The SQL a function's TSDoc shows must be SQL the library sends: every
// ```sql block in a comment under src/ is cut at its elisions (`…`, `<…>`,
// `-- comments`), and each piece must occur, whitespace aside, in some file
// under test/golden/ (which test/unit/golden-sql.test.ts and
// test/integration/golden-sql.test.ts keep equal to the statements). A
// statement that changes without its TSDoc fails here.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function filesUnder(folder: string, extension: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name)
    if (statSync(path).isDirectory()) return filesUnder(path, extension)
    return path.endsWith(extension) ? [path] : []
  })
}

/** Whitespace runs as one space, and none next to brackets or before commas, so layout never counts. */
function normalised(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),;])\s*/g, '$1')
    .trim()
}

/** Golden files without their header comments, normalised, as one text to search. */
const golden = filesUnder(join(ROOT, 'test/golden'), '.sql')
  .map((path) =>
    normalised(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('-- '))
        .join('\n')
        // SQL comments in the statements, as in the blocks: what counts is the SQL.
        .replace(/--[^\n]*/g, ' '),
    ),
  )
  .join('\n')

interface SqlBlock {
  readonly file: string
  readonly line: number
  readonly text: string
}

/** Every ```sql block inside a comment of a source file, without the comment's leading `*`. */
function sqlBlocks(path: string): SqlBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n')
  const blocks: SqlBlock[] = []
  for (let index = 0; index < lines.length; index++) {
    if (!/^\s*\*\s*```sql\s*$/.test(lines[index] ?? '')) continue
    const start = index + 1
    const body: string[] = []
    for (index = start; index < lines.length && !/^\s*\*\s*```\s*$/.test(lines[index] ?? ''); index++) {
      body.push((lines[index] ?? '').replace(/^\s*\* ?/, ''))
    }
    blocks.push({ file: relative(ROOT, path), line: start, text: body.join('\n') })
  }
  return blocks
}

/** The pieces of a block between its elisions: `…`, `<placeholder>`, and `-- remarks` to the end of a line. */
export function fragments(text: string): string[] {
  return text
    .replace(/--[^\n]*/g, '…')
    .split(/…|<[^<>\n]*>/)
    .map(normalised)
    .filter((piece) => piece.length > 0)
}

const blocks = filesUnder(join(ROOT, 'src'), '.ts').flatMap(sqlBlocks)

describe('the SQL shown in TSDoc', () => {
  it('finds the blocks', () => {
    expect(blocks.length).toBeGreaterThan(40)
  })

  it.each(blocks.map((block) => [`${block.file}:${String(block.line)}`, block] as const))('%s is SQL the library sends (test/golden/)', (_, block) => {
    const missing = fragments(block.text).filter((piece) => !golden.includes(piece))
    expect(missing, 'pieces of this block that no file under test/golden/ has: fix the example, or regenerate the golden files (npm run golden)').toEqual([])
  })
})
