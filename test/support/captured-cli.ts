import { runCli } from '../../src/cli/run-cli.js'

/** What one in-process run of the CLI printed and returned. */
export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs the `bitemporal` command in-process with `env` (e.g. `{ DATABASE_URL }`)
 * and returns its exit code and everything it printed.
 *
 * @example
 * ```ts
 * const run = await capturedCli(['check'], { DATABASE_URL: database().url })
 * expect(run.code).toBe(0)
 * ```
 */
export async function capturedCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd?: string,
): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    ...(cwd === undefined ? {} : { cwd }),
  })
  return { code, stdout, stderr }
}

/**
 * The sections of a command's output: the blocks between blank lines, each
 * as its lines, keyed by the first line (the heading).
 */
export function outputSections(stdout: string): ReadonlyMap<string, readonly string[]> {
  const sections = new Map<string, readonly string[]>()
  for (const block of stdout.split(/\n\s*\n/)) {
    const [heading, ...lines] = block.split('\n').filter((line) => line !== '')
    if (heading !== undefined) sections.set(heading, lines)
  }
  return sections
}

/** Rows of an aligned text table (header first), split into cells at runs of two or more spaces. */
export function tableCells(lines: readonly string[]): string[][] {
  return lines.map((line) => line.split(/\s{2,}/))
}
