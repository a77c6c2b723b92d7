#!/usr/bin/env node
import { runCli } from './run-cli.js'

// exitCode rather than process.exit(): pending stdout writes still flush.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  progressStream: process.stderr,
})
