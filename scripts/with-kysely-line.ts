import { spawn } from 'node:child_process'
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join, resolve } from 'node:path'

// Runs a command with the checkout's `kysely` replaced by another supported
// line, then puts the default back:
//
//   npx tsx scripts/with-kysely-line.ts 0.29 -- npx vitest run --project integration
//
// The default line is the `kysely` devDependency (node_modules/kysely); each
// other line is an npm alias devDependency `kysely-<line>` (for 0.29:
// `"kysely-0.29": "npm:kysely@^0.29.9"`), pinned by the lockfile and
// installed by `npm ci`. For the command's duration the two folders trade
// places, so every `import 'kysely'` in this checkout — the library, the
// tests, the CLI and demo they start as child processes, and any dependency
// that imports kysely itself — loads that line's code. The command sees
// BITEMPORAL_KYSELY=<line>; test/integration/kysely-line.test.ts checks that
// the kysely it loads is that line.
//
// While the command runs, the checkout's kysely is the other line: do not run
// a second command in the same checkout meanwhile.

const root = resolve(import.meta.dirname, '..')
const modules = join(root, 'node_modules')
const installed = join(modules, 'kysely')

/** `0.29` for `0.29.9`: Kysely's breaking changes come with its minor version. */
function lineOf(folder: string): string {
  const { version } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string }
  return version.split('.').slice(0, 2).join('.')
}

const separator = process.argv.indexOf('--')
const line = process.argv[2]
const command = separator === -1 ? [] : process.argv.slice(separator + 1)
if (line === undefined || separator !== 3 || command.length === 0 || !/^\d+\.\d+$/.test(line)) {
  process.stderr.write('usage: tsx scripts/with-kysely-line.ts <line, e.g. 0.29> -- <command> [arguments...]\n')
  process.exit(2)
}

const defaultLine = lineOf(installed)
const aside = join(modules, `kysely-${defaultLine}`)
const wanted = join(modules, `kysely-${line}`)
if (existsSync(aside)) {
  process.stderr.write(
    `with-kysely-line: ${aside} exists: an earlier run did not put kysely back, or one is running now. ` +
      'If none is running, npm ci restores node_modules.\n',
  )
  process.exit(2)
}
if (line !== defaultLine && !existsSync(wanted)) {
  process.stderr.write(`with-kysely-line: no ${wanted}: add the devDependency "kysely-${line}": "npm:kysely@^${line}.0" and run npm ci\n`)
  process.exit(2)
}
if (line !== defaultLine && lineOf(wanted) !== line) {
  process.stderr.write(`with-kysely-line: ${wanted} holds kysely ${lineOf(wanted)}, not ${line}\n`)
  process.exit(2)
}

let swapped = false
function putBack(): void {
  if (!swapped) return
  renameSync(installed, wanted)
  renameSync(aside, installed)
  swapped = false
}

if (line !== defaultLine) {
  renameSync(installed, aside)
  renameSync(wanted, installed)
  swapped = true
}
process.stdout.write(`with-kysely-line: kysely ${lineOf(installed)} for: ${command.join(' ')}\n`)

const [program = '', ...programArguments] = command
const child = spawn(program, programArguments, { stdio: 'inherit', env: { ...process.env, BITEMPORAL_KYSELY: line } })
// A Ctrl-C reaches the child too (same process group); this process waits
// for it to end and then puts kysely back.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    child.kill(signal)
  })
}
child.on('error', (error) => {
  putBack()
  process.stderr.write(`with-kysely-line: cannot run ${program}: ${error.message}\n`)
  process.exit(127)
})
child.on('exit', (code, signal) => {
  putBack()
  process.exit(code ?? (signal === null ? 1 : 128))
})
