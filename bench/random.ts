import type { Random } from '../test/support/seeded-random.js'

export { type Random, seededRandom } from '../test/support/seeded-random.js'

/** An integer in `[1, n]`. */
export function pick(random: Random, n: number): number {
  return 1 + Math.floor(random() * n)
}

/** `1 … n` in random order. */
export function shuffled(random: Random, n: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i + 1)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const a = values[i] as number
    values[i] = values[j] as number
    values[j] = a
  }
  return values
}
