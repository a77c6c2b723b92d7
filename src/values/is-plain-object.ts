/**
 * An object literal (or `Object.create(null)`): what the library accepts for
 * column maps, keys and values. Arrays, class instances and anything with a
 * poisoned prototype are not, so `__proto__` tricks cannot reach a lookup.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
