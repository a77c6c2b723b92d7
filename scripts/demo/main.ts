// `npm run demo`: the tax-rate story of docs/semantics.md §3 on a real PostgreSQL (see docs/getting-started.md).
import { runDemo } from './run-demo.js'

process.exitCode = await runDemo({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
})
