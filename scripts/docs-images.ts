import { mkdir, writeFile } from 'node:fs/promises'
import { renderHistory } from '../src/render/index.js'
import { taxRateStory } from './tax-rate-story.js'

// Writes the pictures of docs/concepts.md: the history of the tax-rate
// story of docs/semantics.md §3 after each step. Run with `npm run docs:images` after a
// change to the renderer, and commit the result.

const folder = new URL('../docs/images/', import.meta.url)

await mkdir(folder, { recursive: true })
for (const [index, step] of taxRateStory.entries()) {
  const file = new URL(`tax-rates-${String(index + 1)}-${step.name}.svg`, folder)
  const title = `Step ${String(index + 1)}, ${step.name.replace('-', ' ')}: ${step.call}`
  await writeFile(file, renderHistory(step.history, { format: 'svg', title }))
  process.stdout.write(`wrote ${file.pathname}\n`)
}
