import { inspect, types } from 'node:util'

// Long enough to recognise a value, short enough to keep a message on one line.
const MAX_STRING = 40
const MAX_PREVIEW = 60

/**
 * What an argument was, for the "got …" of an error message: its kind and
 * a short preview, so that a wrong value can be recognised (`got an object
 * { from: '2023-01-01' }`), never `[object Object]` or a bare `object`.
 * Strings are quoted (so `"5"` reads apart from the number 5), everything is
 * cut to a few dozen characters on one line, and no code of the value runs
 * (no `toString`, no custom inspect, no getters): a Proxy is only "a Proxy",
 * since even `instanceof` and `Array.isArray` would run its traps (or throw,
 * once it is revoked).
 *
 * @example
 * ```ts
 * describeValue('2023-02-30')           // '"2023-02-30"'
 * describeValue(15)                     // 'the number 15'
 * describeValue({ from: '2023-01-01' }) // "an object { from: '2023-01-01' }"
 * describeValue([1, 2])                 // 'an array [ 1, 2 ]'
 * describeValue(new Date(NaN))          // 'an invalid Date'
 * describeValue(new Map())              // 'a Map(0) {}'
 * describeValue(new Uint8Array(1))      // 'a Uint8Array(1) [ 0 ]'
 * ```
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value)
    case 'number':
      return `the number ${String(value)}`
    case 'bigint':
      return `the bigint ${value.toString()}n`
    case 'boolean':
      return `the boolean ${String(value)}`
    case 'symbol':
      return `the symbol ${value.toString()}`
    case 'undefined':
      return 'undefined'
    case 'function':
      if (types.isProxy(value)) return 'a Proxy'
      return value.name === '' ? 'a function' : `the function ${value.name}`
    case 'object':
      return value !== null && types.isProxy(value) ? 'a Proxy' : describeObject(value)
  }
}

function describeObject(value: object | null): string {
  if (value === null) return 'null'
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : `the Date ${value.toISOString()}`
  if (Array.isArray(value)) return `an array ${preview(value)}`
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype === Object.prototype || prototype === null) return `an object ${preview(value)}`
  // A class instance: inspect starts with the class name (`Map(1) {…}`, `Foo { a: 1 }`).
  const text = preview(value)
  return `${article(text)} ${text}`
}

/**
 * `a` or `an` by how the class name sounds: `an Int32Array`, `an
 * ArrayBuffer`, but `a Uint8Array`, `a URL` and `a UserRecord`, whose U
 * sounds "you"; `an Umbrella`, whose does not.
 */
function article(name: string): 'a' | 'an' {
  if (/^[aeio]/i.test(name)) return 'an'
  // U then a capital, a vowel, or one consonant and a vowel: "you".
  if (/^[Uu]/.test(name)) return /^[Uu](?:[A-Z]|[aeiou]|[^aeiou][aeiou])/.test(name) ? 'a' : 'an'
  return 'a'
}

function preview(value: object): string {
  const text = inspect(value, {
    depth: 1,
    breakLength: Infinity,
    maxArrayLength: 5,
    maxStringLength: MAX_STRING,
    customInspect: false,
    getters: false,
    showProxy: false,
  }).replace(/\s+/g, ' ')
  return text.length > MAX_PREVIEW ? `${text.slice(0, MAX_PREVIEW)}…` : text
}
