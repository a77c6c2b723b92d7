/** A seeded pseudo-random generator (mulberry32): the same run draws the same entities. */
export type Random = () => number

export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

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
