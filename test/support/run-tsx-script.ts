import { spawn } from 'node:child_process'

/** How a script run by {@link runTsxScript} ended, with all it printed. */
export interface ScriptRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs a TypeScript script as `npm run demo` does (`node --import tsx`), in
 * `cwd`, with this process's environment changed by `env`: a value replaces
 * a variable, `undefined` removes it. Resolves when the child has exited,
 * whatever its exit code; rejects only if it could not be started.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runTsxScript(root, 'scripts/demo/main.ts', ['--keep'], { DATABASE_URL: url })
 * ```
 */
export function runTsxScript(
  cwd: string,
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<ScriptRun> {
  const merged: Record<string, string | undefined> = { ...process.env, ...env }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd,
      env: Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      resolve({ code, stdout, stderr })
    })
  })
}
