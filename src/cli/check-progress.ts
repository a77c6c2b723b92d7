import { Presets, SingleBar } from 'cli-progress'

/** Progress of one table's data checks, in steps. */
export interface CheckProgress {
  advance(): void
  stop(): void
}

/** Tables estimated above this many rows get a progress bar: below it the checks take about a second. */
export const PROGRESS_MIN_ROWS = 100_000

const SILENT: CheckProgress = Object.freeze({ advance: () => undefined, stop: () => undefined })

/**
 * A progress bar on `stream` for the data checks of a table estimated at
 * `rows` rows, when `stream` is a terminal and the table is large enough
 * for the checks to take more than a couple of seconds; otherwise a no-op,
 * so logs and pipes never receive cursor movements.
 */
export function checkProgress(stream: NodeJS.WriteStream | undefined, table: string, rows: number, steps: number): CheckProgress {
  if (stream?.isTTY !== true || rows <= PROGRESS_MIN_ROWS) return SILENT
  const bar = new SingleBar(
    {
      stream,
      format: `checking ${table} [{bar}] {percentage}% | {value}/{total} steps | {eta_formatted} left`,
      clearOnComplete: true,
      hideCursor: true,
    },
    Presets.shades_classic,
  )
  bar.start(steps, 0)
  return {
    advance: () => {
      bar.increment()
    },
    stop: () => {
      bar.stop()
    },
  }
}
