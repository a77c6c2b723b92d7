import { quoteQualifiedName } from '../schema/identifier.js'
import type { CheckedConvertOptions } from './check-convert-options.js'
import type { ConvertOptions } from './convert-options.js'

/**
 * The options that shape a resumable conversion's copy, normalised (defaults
 * filled in, days and instants as text, `to` as its name, columns with their
 * types, time columns and kinds: what the copy depends on, and not the DDL
 * text, which a newer library may write differently), as recorded in
 * `bitemporal.conversion.options`. A run again must have the same ones: a
 * different `batchSize` would cut the remaining pages otherwise, a different
 * `effectiveTo` would give half the table other validity. `onProgress`,
 * `actor`, `reason` and `resumable` are left out (`actor` and `reason` are
 * checked by the definition: an audited table needs an actor either way).
 *
 * ```ts
 * { from: '"plans"', to: { name: 'plan_versions', key: { id: 'integer' }, values: { … }, validTime: 'date', … }, effectiveFrom: 'created_at', effectiveFromDefault: null,
 *   effectiveTo: 'deleted_at', columns: {}, emptyValidity: 'error', view: true, renameSourceTo: null, batchSize: 50000 }
 * ```
 */
export function conversionFingerprint(checked: CheckedConvertOptions, options: ConvertOptions): Readonly<Record<string, unknown>> {
  return Object.freeze({
    from: quoteQualifiedName(checked.from),
    to: {
      name: options.to.name,
      key: options.to.key,
      values: options.to.values,
      effectiveColumn: options.to.effectiveColumn,
      systemColumn: options.to.systemColumn,
      validTime: options.to.validTime,
      audit: options.to.audit,
      entity: options.to.entity,
    },
    effectiveFrom: checked.startColumn ?? checked.fixedStart ?? null,
    effectiveFromDefault: checked.startDefault ?? null,
    effectiveTo: checked.endColumn ?? null,
    columns: Object.fromEntries(Object.entries(checked.columns).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    emptyValidity: checked.emptyValidity,
    view: checked.view,
    renameSourceTo: options.renameSourceTo ?? null,
    batchSize: checked.batchSize,
  })
}

/** JSON with object keys sorted, so that jsonb's key order does not count as a difference. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return value === undefined ? 'null' : JSON.stringify(value)
}

/**
 * The options that differ between a recorded fingerprint and this run's,
 * described for an error message: `batchSize (1000 when it began, 500 now)`,
 * `to (another table definition)`.
 */
export function fingerprintDifferences(recorded: Readonly<Record<string, unknown>>, now: Readonly<Record<string, unknown>>): string[] {
  const names = [...new Set([...Object.keys(recorded), ...Object.keys(now)])]
  const shown = (value: unknown): string => {
    const text = canonical(value)
    return text.length > 80 ? `${text.slice(0, 77)}…` : text
  }
  return names
    .filter((name) => canonical(recorded[name] ?? null) !== canonical(now[name] ?? null))
    .map((name) => (name === 'to' ? 'to (another table definition)' : `${name} (${shown(recorded[name] ?? null)} when it began, ${shown(now[name] ?? null)} now)`))
}
