import { relative, resolve } from 'node:path'
import type { CliIo } from './cli-io.js'
import { createMigration } from './create-migration.js'
import type { CreateCommand } from './parse-command.js'

/**
 * Runs `bitemporal migrate create <name>`: writes the file and prints its
 * path relative to the working directory.
 *
 * @returns the exit code, 0.
 */
export async function createCommand(command: CreateCommand, io: CliIo): Promise<number> {
  const cwd = io.cwd ?? process.cwd()
  const path = await createMigration({ folder: resolve(cwd, command.folder), name: command.name, typescript: command.typescript, tableChange: command.tableChange })
  io.stdout(`created ${relative(cwd, path)}\n`)
  return 0
}
