import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The contract is docs/semantics.md, in the repository. Code, docs, tests and
// scripts cite it ("docs/semantics.md §6", "invariant 5", a link to
// semantics.md#6-concurrency) and nothing else: a citation of a spec that is
// not in the repository cannot be checked by a reader, and a citation of a
// section or invariant that docs/semantics.md does not have points nowhere.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SEMANTICS = 'docs/semantics.md'
/** What is scanned: every text file under these, relative to the repository. */
const SCANNED = ['README.md', 'docs', 'src', 'scripts', 'test', 'bench', 'sql', '.ci']
const TEXT_FILE = /\.(?:md|ts|js|mjs|sql)$|^\.ci\/run$/
/** This file names the patterns it looks for. */
const SELF = relative(ROOT, fileURLToPath(import.meta.url))

function files(path: string): string[] {
  const absolute = join(ROOT, path)
  if (!statSync(absolute).isDirectory()) return [path]
  return readdirSync(absolute)
    .sort()
    .flatMap((name) => files(join(path, name)))
}

const scanned = SCANNED.flatMap(files).filter((path) => TEXT_FILE.test(path) && path !== SELF)
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

interface Hit {
  readonly where: string
  readonly text: string
}

/**
 * Every match of `pattern` (global) in the scanned files, as `file:line` and
 * the match. Patterns run over the whole text, so a citation wrapped onto the
 * next line (`invariant` / ` * 5`) is found too; {@link GAP} spells the space
 * between its words.
 */
function hits(pattern: RegExp, paths: readonly string[] = scanned, text: (path: string) => string = read): Hit[] {
  return paths.flatMap((path) => {
    const content = text(path)
    return [...content.matchAll(pattern)].map((match) => ({
      where: `${path}:${String(content.slice(0, match.index).split('\n').length)}`,
      text: match[0],
    }))
  })
}

/** Between two words of a citation: spaces, a line break, and the comment markers that may start the next line. */
const GAP = String.raw`[\s*/#]+`
const SPEC = /\bspec(?:s|ification|ifications)?\b/gi
const SECTION = new RegExp(String.raw`\bsections?${GAP}\d+`, 'gi')
const SECTION_SIGN = new RegExp(String.raw`§[\s*/#]*\d+[a-z]?`, 'g')
const INVARIANT = new RegExp(String.raw`\binvariants?${GAP}\d+(?:(?:,${GAP}|${GAP}and${GAP}|${GAP}or${GAP})\d+)*`, 'gi')

/**
 * The anchor GitHub gives a heading: lower case, punctuation other than `-`
 * and `_` dropped, spaces made hyphens. Enough for the ASCII headings of
 * docs/semantics.md (checked below on two of them).
 */
function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-')
}

const semantics = read(SEMANTICS)
/** `1` … `7`, `5a`: the numbers of the `## N. Title` sections. */
const sections = new Set([...semantics.matchAll(/^## (\d+[a-z]?)\. /gm)].map((match) => match[1]))
/** The numbers of the invariants, each marked `<a id="invariant-N">`. */
const invariants = new Set([...semantics.matchAll(/<a id="invariant-(\d+)">/g)].map((match) => match[1]))
const anchors = new Set([
  ...[...semantics.matchAll(/^#{1,6} (.+)$/gm)].map((match) => headingAnchor(match[1] ?? '')),
  ...[...semantics.matchAll(/<a id="([^"]+)">/g)].map((match) => match[1]),
])

/** A markdown file without its code: fenced blocks (their lines kept empty, so line numbers hold) and inline spans. */
function prose(path: string): string {
  let fenced = false
  return read(path)
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced
        return ''
      }
      return fenced ? '' : line.replace(/`[^`]*`/g, '')
    })
    .join('\n')
}

/**
 * Prose with every link to docs/semantics.md taken out (its line breaks kept,
 * so line numbers hold): what is left cites it without a link.
 */
function proseWithoutSemanticsLinks(path: string): string {
  const target = path === SEMANTICS ? /^(?:semantics\.md)?#/ : /(?:^|\/)semantics\.md(?:#|$)/
  return prose(path).replace(/\[[^[\]]*\]\(([^)\s]*)\)/g, (link, href: string) => (target.test(href) ? link.replace(/[^\n]/g, '') : link))
}

// bench/write-cost-notes.md is rendered into docs/benchmarks.md, where its
// links resolve, and is checked there.
const markdown = scanned.filter((path) => path.endsWith('.md') && !path.startsWith('bench/'))

describe(`${SEMANTICS} is the only contract cited`, () => {
  it('has the sections and invariants the citations use', () => {
    expect([...sections]).toEqual(['1', '2', '3', '4', '5', '5a', '6', '7'])
    expect([...invariants]).toEqual(['1', '2', '3', '4', '5', '6'])
    expect(headingAnchor('5a. Schema changes')).toBe('5a-schema-changes')
    expect(anchors).toContain('5-time-and-precision')
  })

  it('no file cites a spec or a numbered section other than by "docs/semantics.md §N"', () => {
    const outside = [...hits(SPEC), ...hits(SECTION)]
    expect(outside, `cite ${SEMANTICS} instead (e.g. "${SEMANTICS} §6", or a link to semantics.md#6-concurrency in the docs)`).toEqual([])
  })

  it('every §N names a section of docs/semantics.md', () => {
    const missing = hits(SECTION_SIGN).filter((hit) => !sections.has(hit.text.replace(/^§[\s*/#]*/, '')))
    expect(missing, `${SEMANTICS} has the sections ${[...sections].join(', ')}`).toEqual([])
  })

  it('every "invariant N" names an invariant of docs/semantics.md', () => {
    const cited = hits(INVARIANT)
    const missing = cited.filter((hit) => (hit.text.match(/\d+/g) ?? []).some((number) => !invariants.has(number)))
    expect(missing, `${SEMANTICS} has the invariants ${[...invariants].join(', ')}`).toEqual([])
  })

  it('in the docs, every invariant and §N cited links to docs/semantics.md', () => {
    const unlinked = [...hits(INVARIANT, markdown, proseWithoutSemanticsLinks), ...hits(SECTION_SIGN, markdown, proseWithoutSemanticsLinks)]
    expect(unlinked, 'write e.g. [invariant 5](semantics.md#invariant-5) or [§6](semantics.md#6-concurrency)').toEqual([])
  })

  it('every link to docs/semantics.md reaches it, at an anchor it has', () => {
    const broken = markdown.flatMap((path) =>
      hits(/\]\([^)\s]+\)/g, [path], prose).filter((hit) => {
        const [file = '', anchor] = hit.text.slice(2, -1).split('#')
        if (!/(?:^|\/)semantics\.md$/.test(file) && !(path === SEMANTICS && file === '')) return false
        return (file === '' ? path : join(dirname(path), file)) !== SEMANTICS || (anchor !== undefined && !anchors.has(anchor))
      }),
    )
    expect(broken, `${SEMANTICS} has the anchors ${[...anchors].join(', ')}`).toEqual([])
  })

  it('README.md and docs/concepts.md link to it', () => {
    expect(read('README.md')).toContain('](docs/semantics.md)')
    expect(read('docs/concepts.md')).toContain('](semantics.md)')
  })
})
