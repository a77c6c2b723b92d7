import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import * as errors from '../../src/errors/index.js'

// BitemporalError puts "bitemporal: " in front of every message, once. A
// message written with the prefix by hand would read "bitemporal: bitemporal:"
// in another error that quotes it, or needs stripping again where it is shown;
// so no source file may construct one of the library's errors with it.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PREFIX = 'bitemporal: '

/** The names of every error class the library exports. */
const ERROR_CLASSES = new Set(
  Object.entries(errors)
    .filter(([, value]) => typeof value === 'function' && (value === errors.BitemporalError || value.prototype instanceof errors.BitemporalError))
    .map(([name]) => name),
)

function sourceFiles(path: string): string[] {
  const absolute = join(ROOT, path)
  if (!statSync(absolute).isDirectory()) return path.endsWith('.ts') ? [path] : []
  return readdirSync(absolute)
    .sort()
    .flatMap((name) => sourceFiles(join(path, name)))
}

/** The string literals a message expression starts with: both branches of `a ? 'x' : 'y'`, the left of `'x' + y`. */
function leadingLiterals(node: ts.Expression): ts.Expression[] {
  if (ts.isParenthesizedExpression(node)) return leadingLiterals(node.expression)
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return leadingLiterals(node.left)
  if (ts.isConditionalExpression(node)) return [...leadingLiterals(node.whenTrue), ...leadingLiterals(node.whenFalse)]
  return [node]
}

function literalText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text
  if (ts.isTemplateExpression(node)) return node.head.text
  return undefined
}

/** `file:line` of every construction of a library error whose message starts with the prefix. */
function prefixedMessages(fileName: string, text: string): string[] {
  // Parsing is the slow part; a file without the words cannot have one.
  if (!text.includes(PREFIX)) return []
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && ERROR_CLASSES.has(node.expression.text)) {
      // BitemporalError itself takes the code first.
      const message = node.arguments?.[node.expression.text === 'BitemporalError' ? 1 : 0]
      if (message !== undefined && leadingLiterals(message).some((literal) => literalText(literal)?.startsWith(PREFIX) === true)) {
        found.push(`${fileName}:${String(source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1)}`)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('error messages', () => {
  it('knows the library error classes', () => {
    expect(ERROR_CLASSES).toContain('BitemporalError')
    expect(ERROR_CLASSES).toContain('InvalidInputError')
    expect(ERROR_CLASSES).toContain('TableMismatchError')
  })

  it('finds a hand-written prefix in every form a message takes', () => {
    const text = [
      "throw new InvalidInputError('bitemporal: a')",
      'throw new OverlapError(\n  `bitemporal: ${what}`,\n  { cause },\n)',
      "throw new ConflictError(later ? 'fine' : 'bitemporal: b')",
      "throw new NotFoundError('bitemporal: c ' + name)",
      "throw new BitemporalError('CONFLICT', `bitemporal: d`)",
      "throw new InvalidInputError('no prefix here')",
      "throw new Error('bitemporal: a plain Error is not one of the library errors')",
    ].join('\n')
    expect(prefixedMessages('example.ts', text)).toEqual(['example.ts:1', 'example.ts:2', 'example.ts:6', 'example.ts:7', 'example.ts:8'])
  })

  it('are written without the "bitemporal: " prefix, which BitemporalError adds', () => {
    const found = sourceFiles('src').flatMap((path) => prefixedMessages(relative(ROOT, join(ROOT, path)), readFileSync(join(ROOT, path), 'utf8')))
    expect(found, 'write the message without "bitemporal: "; the base class adds it').toEqual([])
  }, 60_000)

  it('have the prefix once, also when the text already had it', () => {
    expect(new errors.InvalidInputError('a date is missing').message).toBe('bitemporal: a date is missing')
    const fromTheDatabase = new errors.ImmutableHistoryError('bitemporal: DELETE on prices is not allowed: history is never deleted')
    expect(fromTheDatabase.message).toBe('bitemporal: DELETE on prices is not allowed: history is never deleted')
    expect(fromTheDatabase.description).toBe('DELETE on prices is not allowed: history is never deleted')
  })
})
