// `scheme://…`, or `user:password@host…` without a scheme: a connection
// string typed where an argument goes, usually for want of `--url`.
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\/|^[^\s/@:]*:[^\s/@]*@/i

/** What a usage message says in place of a word that looks like a connection URL. */
export const URL_IN_PLACE = '(a URL: did you mean --url?)'

/** Whether `word` looks like a connection URL, which may carry a password. */
export function looksLikeUrl(word: string): boolean {
  return URL_LIKE.test(word)
}

/**
 * The command-line words `words` as a usage message shows them: quoted, or,
 * when any of them looks like a connection URL, `(a URL: did you mean
 * --url?)` and none of them. A URL given without `--url` is the usual way
 * such a word gets there, and it may hold a password that a message would
 * put into a terminal's scrollback or a CI log.
 *
 * @example
 * ```ts
 * argumentText(['extra'])                    // '"extra"'
 * argumentText(['postgres://u:SECRET@h/db']) // '(a URL: did you mean --url?)'
 * ```
 */
export function argumentText(words: readonly string[]): string {
  return words.some(looksLikeUrl) ? URL_IN_PLACE : `"${words.join(' ')}"`
}
