import { createServer } from 'node:net'
import { EmbeddedServerError } from './embedded-server-error.js'

/**
 * A port of 127.0.0.1 that was free a moment ago; postgres may still lose a
 * race for it, so a caller that starts postgres on it retries on "could not
 * bind".
 *
 * @example
 * ```ts
 * const port = await freePort() // 41234
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.on('error', (error) => {
      reject(
        new EmbeddedServerError(
          'NO_FREE_PORT',
          `No free port on 127.0.0.1 for the embedded PostgreSQL (${error.message}); set DATABASE_URL to use an existing server.`,
          { cause: error },
        ),
      )
    })
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => {
        resolve(port)
      })
    })
  })
}
