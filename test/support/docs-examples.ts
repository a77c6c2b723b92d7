import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AnyKysely } from '../../src/index.js'

// The docs' examples are code a test runs. The convention (also at the top of
// docs/api.md):
//
// - Every ```ts block of the files in DOC_FILES is an example, unless its
//   info string says `no-run` (```ts no-run): then it is only shown.
// - A ```ts continues block goes on from the block before it: the two are one
//   example, run as one function.
// - `import … from '…'` lines are module imports ('bitemporal' and
//   'bitemporal/testing' are this repository's src/index.ts and
//   src/testing/index.ts); the rest of the block is the body of
//   `async function (db: Kysely<any>)`, run against a new, empty database on the
//   test server where the library is installed (`install(db)`) and the table of
//   `taxRates` exists; `taxRates` (the definition below) is in scope unless the
//   example defines its own. DATABASE_URL is the example's database. A
//   top-level `export` (a block shown as a module file) is dropped.
// - An example passes when it resolves. State results with
//   `assert` (node:assert/strict), so an example that gives another result fails.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Where the examples are written as modules: in the repository (bare imports resolve) and ignored by git. */
export const EXAMPLES_DIR = join(ROOT, '.bitemporal-test', 'docs-examples')

/** The docs whose ```ts blocks are run as function bodies (above), relative to the repository. */
export function docFiles(): string[] {
  const recipes = readdirSync(join(ROOT, 'docs', 'recipes'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/recipes/${name}`)
  return ['docs/api.md', ...recipes]
}

/** One runnable example: one ```ts block, or several joined by `continues`. */
export interface DocExample {
  /** `docs/api.md:120`: the file and line of its first block's opening fence. */
  readonly where: string
  readonly code: string
}

interface Block {
  readonly line: number
  readonly flags: readonly string[]
  readonly code: string
}

/** The fenced ```ts blocks of a markdown text, with the line of each opening fence (1-based). */
export function tsBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)\s*(.*)$/.exec(lines[i] ?? '')
    if (open === null) continue
    const fence = open[1] ?? '```'
    let end = i + 1
    while (end < lines.length && (lines[end] ?? '').trimEnd() !== fence) end++
    if (end >= lines.length) throw new Error(`line ${String(i + 1)}: the code block is never closed`)
    if (open[2] === 'ts' || open[2] === 'typescript') {
      blocks.push({ line: i + 1, flags: (open[3] ?? '').split(/\s+/).filter((flag) => flag !== ''), code: lines.slice(i + 1, end).join('\n') })
    }
    i = end
  }
  return blocks
}

/** The examples of one doc file (`path` relative to the repository, for messages). */
export function examplesOf(path: string, markdown: string): DocExample[] {
  const examples: { where: string; code: string[] }[] = []
  for (const block of tsBlocks(markdown)) {
    const unknown = block.flags.filter((flag) => flag !== 'no-run' && flag !== 'continues')
    if (unknown.length > 0) throw new Error(`${path}:${String(block.line)}: unknown flag ${unknown.join(' ')} (known: no-run, continues)`)
    if (block.flags.includes('no-run')) continue
    const previous = examples.at(-1)
    if (block.flags.includes('continues')) {
      if (previous === undefined) throw new Error(`${path}:${String(block.line)}: "continues" but no example before it`)
      previous.code.push(block.code)
    } else {
      examples.push({ where: `${path}:${String(block.line)}`, code: [block.code] })
    }
  }
  return examples.map(({ where, code }) => ({ where, code: code.join('\n') }))
}

/** The named, default and namespace bindings imported from one module. */
interface ModuleImports {
  named: Set<string>
  default?: string
  namespace?: string
}

const IMPORT = /^import\s+(?:type\s+(?=[{*]))?(?:(\w+)\s*,?\s*)?(?:\*\s+as\s+(\w+)\s*)?(?:\{([^}]*)\}\s*)?from\s*['"]([^'"]+)['"];?$/

/** Splits an example into its import statements (merged per module) and the rest. */
export function splitImports(code: string): { imports: Map<string, ModuleImports>; body: string } {
  const imports = new Map<string, ModuleImports>()
  const body: string[] = []
  const lines = code.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (!/^import\s/.test(line)) {
      // `export const x = …` in a block shown as a module file: a local declaration in the function body.
      body.push(line.replace(/^export (?=(const|let|function|async function|class|type|interface) )/, ''))
      continue
    }
    let statement = line
    while (!/from\s*['"][^'"]+['"];?\s*$/.test(statement) && i + 1 < lines.length) statement += ` ${(lines[++i] ?? '').trim()}`
    const match = IMPORT.exec(statement.replace(/\s+/g, ' ').trim())
    if (match === null) throw new Error(`an import the examples runner cannot read: ${statement}`)
    const [, defaultName, namespace, named, module] = match
    const typeOnly = /^import\s+type\s/.test(statement.trim())
    if (module === undefined) continue
    const entry = imports.get(module) ?? { named: new Set<string>() }
    imports.set(module, entry)
    if (defaultName !== undefined) entry.default = defaultName
    if (namespace !== undefined) entry.namespace = namespace
    for (const specifier of (named ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      entry.named.add(typeOnly && !specifier.startsWith('type ') ? `type ${specifier}` : specifier)
    }
    // Keep line numbers of the body in step with the doc: one body line per import line.
    body.push(...statement.split('\n').map(() => ''))
  }
  return { imports, body: body.join('\n') }
}

const LIBRARY_MODULES: Readonly<Record<string, string>> = {
  bitemporal: join(ROOT, 'src', 'index.ts'),
  'bitemporal/testing': join(ROOT, 'src', 'testing', 'index.ts'),
}

const SCOPE_MODULE = join(ROOT, 'test', 'support', 'docs-example-scope.ts')

/** An import specifier as seen from `file`: the library's own names point at src/. */
function specifierFrom(file: string, module: string): string {
  const target = LIBRARY_MODULES[module]
  if (target === undefined) return module
  const path = relative(dirname(file), target).replace(/\.ts$/, '.js')
  return path.startsWith('.') ? path : `./${path}`
}

/** The module an example becomes: its imports, then its body inside `export default async function (db)`. */
export function exampleModule(example: DocExample, file: string): string {
  const { imports, body } = splitImports(example.code)
  const scope = relative(dirname(file), SCOPE_MODULE).replace(/\.ts$/, '.js')
  const lines = [
    `// ${example.where}, generated by test/support/docs-examples.ts`,
    "import type { Kysely as ExampleKysely } from 'kysely'",
    `import { taxRates } from '${scope.startsWith('.') ? scope : `./${scope}`}'`,
  ]
  for (const [module, entry] of imports) {
    const parts: string[] = []
    if (entry.default !== undefined) parts.push(entry.default)
    if (entry.namespace !== undefined) parts.push(`* as ${entry.namespace}`)
    if (entry.named.size > 0) parts.push(`{ ${[...entry.named].join(', ')} }`)
    lines.push(`import ${parts.join(', ')} from '${specifierFrom(file, module)}'`)
  }
  lines.push(
    'void taxRates',
    // eslint-style any: the examples run on databases whose tables they make themselves.
    'export default async function example(db: ExampleKysely<any>): Promise<void> {',
    'void db',
    body,
    '}',
  )
  return `${lines.join('\n')}\n`
}

/** Writes an example as a module under {@link EXAMPLES_DIR}; returns its path. */
export function writeExample(example: DocExample, name: string): string {
  mkdirSync(EXAMPLES_DIR, { recursive: true })
  const file = join(EXAMPLES_DIR, `${name}.ts`)
  writeFileSync(file, exampleModule(example, file))
  return file
}

/** Imports an example module and runs it on `db`. */
export async function runExampleModule(file: string, db: AnyKysely): Promise<void> {
  const module = (await import(/* @vite-ignore */ file)) as { default: (db: AnyKysely) => Promise<void> }
  await module.default(db)
}

/** Reads a doc file relative to the repository. */
export function readDoc(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8')
}

// Project pages are run as pasted, with nothing given (see projectFiles):
//
// - Every ```ts block that is not `no-run` is a file of a small project: its
//   first line is a comment naming its path (`// src/db.ts`), and the block
//   is written there as it is, except that 'bitemporal' and
//   'bitemporal/testing' point at this repository's source. A `continues`
//   block is more of the file before it.
// - The files are imported in page order, each once, on a new, empty
//   database (nothing installed, no table): DATABASE_URL is its URL and there
//   is no `db` or `taxRates` but what the files make.
// - In ```text blocks, a line `$ bitemporal …` (or `$ npx bitemporal …`) is
//   a command, run after the files against that database; the lines after
//   it, up to the next `$ ` line or the end of the block, are what it prints,
//   compared with system times (`2026-…T…Z`) masked. It must exit 0.

/** The docs that are run as a project, relative to the repository. */
export const PROJECT_DOCS: readonly string[] = ['docs/getting-started.md']

/** One file of a project page. */
export interface ProjectFile {
  /** `docs/getting-started.md:40`: the line of its first block's opening fence. */
  readonly where: string
  /** Relative to the project: `src/db.ts`. */
  readonly path: string
  readonly code: string
}

const FILE_COMMENT = /^\/\/ ([\w./-]+\.ts)\b/

/** The files of a project page, in page order. */
export function projectFiles(path: string, markdown: string): ProjectFile[] {
  const files: { where: string; path: string; code: string[] }[] = []
  for (const block of tsBlocks(markdown)) {
    const where = `${path}:${String(block.line)}`
    const unknown = block.flags.filter((flag) => flag !== 'no-run' && flag !== 'continues')
    if (unknown.length > 0) throw new Error(`${where}: unknown flag ${unknown.join(' ')} (known: no-run, continues)`)
    if (block.flags.includes('no-run')) continue
    if (block.flags.includes('continues')) {
      const previous = files.at(-1)
      if (previous === undefined) throw new Error(`${where}: "continues" but no file before it`)
      previous.code.push(block.code)
      continue
    }
    const file = FILE_COMMENT.exec(block.code)?.[1]
    if (file === undefined || file.startsWith('/') || file.split('/').includes('..')) {
      throw new Error(`${where}: a block of a project page starts with a comment naming its file, e.g. "// src/db.ts"`)
    }
    if (files.some((other) => other.path === file)) throw new Error(`${where}: ${file} is written twice; use "continues" to go on with it`)
    files.push({ where, path: file, code: [block.code] })
  }
  return files.map(({ where, path: file, code }) => ({ where, path: file, code: code.join('\n') }))
}

/** Where the project of the page `path` is written. */
export function projectDir(path: string): string {
  return join(EXAMPLES_DIR, path.replace(/^docs\//, '').replace(/\.md$/, '').replace(/[^a-z0-9]+/gi, '_'))
}

/** Writes the files under `dir`, the library's imports pointing at this repository; returns their paths, in order. */
export function writeProject(files: readonly ProjectFile[], dir: string): string[] {
  return files.map((file) => {
    const target = join(dir, file.path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, file.code.replace(/(from\s*)(['"])(bitemporal(?:\/testing)?)\2/g, (_, from: string, quote: string, module: string) => `${from}${quote}${specifierFrom(target, module)}${quote}`) + '\n')
    return target
  })
}

/** One command of a shell session shown on a project page. */
export interface ShellCommand {
  readonly where: string
  /** The line as shown, without `$ `. */
  readonly line: string
  /** The arguments after `bitemporal`. */
  readonly argv: readonly string[]
  /** What the page shows it prints. */
  readonly output: string
}

/** The `$ bitemporal …` commands of the ```text blocks of a page, with the output shown for each. */
export function shellCommands(path: string, markdown: string): ShellCommand[] {
  const lines = markdown.split('\n')
  const commands: { where: string; line: string; argv: string[]; output: string[] }[] = []
  for (let index = 0; index < lines.length; index++) {
    const open = /^(`{3,})text\s*$/.exec(lines[index] ?? '')
    if (open === null) continue
    let current: { output: string[] } | undefined
    for (index++; index < lines.length && (lines[index] ?? '').trimEnd() !== open[1]; index++) {
      const line = lines[index] ?? ''
      if (!line.startsWith('$ ')) {
        current?.output.push(line)
        continue
      }
      const words = shellWords(line.slice(2))
      const start = words[0] === 'npx' ? 1 : 0
      if (words[start] !== 'bitemporal') throw new Error(`${path}:${String(index + 1)}: only "$ bitemporal …" commands can be checked, got "${line}"`)
      current = { output: [] }
      commands.push({ where: `${path}:${String(index + 1)}`, line: line.slice(2), argv: words.slice(start + 1), output: current.output })
    }
  }
  return commands.map(({ output, ...command }) => ({ ...command, output: output.length === 0 ? '' : `${output.join('\n')}\n` }))
}

/** Splits a command line into words as a POSIX shell would, for the quoting a doc uses: '…', "…" and spaces. */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let word: string | undefined
  for (const [piece] of line.matchAll(/'[^']*'|"[^"]*"|[^\s'"]+|\s+/g)) {
    if (/^\s/.test(piece)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else {
      word = (word ?? '') + (/^['"]/.test(piece) ? piece.slice(1, -1) : piece)
    }
  }
  if (word !== undefined) words.push(word)
  return words
}

/**
 * `text` with the system times taken out, which differ on every run: each
 * ISO UTC instant with microseconds becomes one of the same width, and the
 * system-time ticks of a history diagram (`2026-12-07 10:19:05.441`, as
 * precise as it takes to tell them apart, so their width and the diagram's
 * margin vary too) are removed with the spaces that start the line.
 */
export function maskSystemTimes(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/g, 'YYYY-MM-DDThh:mm:ss.ffffffZ')
    .split('\n')
    .map((line) => line.replace(/\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d(?:\.\d+)?)?/g, '').trimStart())
    .join('\n')
}
