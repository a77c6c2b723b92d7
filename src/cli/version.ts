import { readFile } from 'node:fs/promises'

/**
 * The version of the installed package. Read at run time from package.json,
 * which is two levels up both from `src/cli/` and from `dist/cli/`.
 */
export async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8')
  const { version } = JSON.parse(text) as { version?: unknown }
  return typeof version === 'string' ? version : 'unknown'
}
