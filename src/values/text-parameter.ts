/**
 * A parameter of the library's SQL: `$n` sent as text and cast to `type` in
 * the statement (`$1::text::timestamptz`). The server then describes every
 * parameter as `text`, and every driver sends a text parameter as it is.
 * One it describes as `timestamptz`, `date`, `json`, `boolean` or `bytea`
 * would go through the driver's own serializer for that type: postgres.js
 * turns an instant into a `Date` (dropping its microseconds) and a JSON
 * text into a JSON string, PGlite refuses a boolean or bytea given as text.
 * The values are encoded by the library (`docs/drivers.md`).
 *
 * @example
 * ```ts
 * textParameter(3, 'timestamptz') // '$3::text::timestamptz'
 * textParameter(2, 'text')        // '$2::text'
 * ```
 */
export function textParameter(position: number, type: string): string {
  return type === 'text' ? `$${String(position)}::text` : `$${String(position)}::text::${type}`
}
