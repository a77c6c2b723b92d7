/**
 * Everything {@link runCli} touches outside itself, so tests can run the
 * command in-process and read what it printed.
 */
export interface CliIo {
  /** Receives normal output, newlines included. */
  readonly stdout: (text: string) => void
  /** Receives errors and warnings, newlines included. */
  readonly stderr: (text: string) => void
  /** Read for `DATABASE_URL` and `BITEMPORAL_DEBUG`. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** The directory `--folder` and `--svg` are relative to. Default: `process.cwd()`. */
  readonly cwd?: string
  /**
   * The stream behind `stderr`, for progress bars of long checks, which are
   * drawn only when it is a TTY. Default: none, no progress bar.
   */
  readonly progressStream?: NodeJS.WriteStream
}
