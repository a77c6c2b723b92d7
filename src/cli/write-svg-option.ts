import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { CliIo } from './cli-io.js'

/**
 * Writes the picture of the `--svg <file>` option, relative to the command's
 * working directory, and says so on stdout. A file that cannot be written is
 * an error naming it.
 */
export async function writeSvgOption(io: CliIo, file: string, svg: string): Promise<void> {
  const path = resolve(io.cwd ?? process.cwd(), file)
  try {
    await writeFile(path, svg)
  } catch (error) {
    throw new Error(`cannot write --svg ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  io.stdout(`wrote ${file}\n`)
}
