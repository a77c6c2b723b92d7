/**
 * The CLI could not open a connection to PostgreSQL. The message names the
 * server and role but never the password or the URL, which may hold it.
 */
export class ConnectionError extends Error {
  constructor(message: string, options: { readonly cause: unknown }) {
    super(message, options)
    this.name = 'ConnectionError'
  }
}
