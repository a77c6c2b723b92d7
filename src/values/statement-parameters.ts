import { textParameter } from './text-parameter.js'

/**
 * One numbered parameter of a statement. The same parameter may appear in
 * the text several times, cast to different types (`$3::text` where the
 * statement asks whether it is null, `$3::text::timestamptz` where it
 * compares it).
 */
export interface StatementParameter {
  /** `3` for `$3`. */
  readonly position: number
  /** The placeholder cast to `type`: `$3::text::timestamptz` ({@link textParameter}). */
  as(type: string): string
}

/**
 * Numbers a statement's parameters in the order they are taken: `$1`, `$2`,
 * … so no caller counts positions by hand. Two ways to take one:
 *
 * - {@link add}, for a statement built with its values (a conversion's copy,
 *   a load): the value is kept in {@link values}, in position order;
 * - {@link reserve}, for a statement built once and run many times with
 *   values supplied later (a write): only the position is taken.
 *
 * One builder serves one of the two: a value added after a position was
 * reserved would sit at the wrong index of {@link values}, so `add` refuses.
 *
 * @example
 * ```ts
 * const parameters = new StatementParameters()
 * parameters.add('(0,1)', 'tid')  // '$1::text::tid'
 * parameters.add('carol', 'text') // '$2::text'
 * parameters.values               // ['(0,1)', 'carol']
 *
 * const reserved = new StatementParameters()
 * const expect = reserved.reserve()
 * expect.as('text')        // '$1::text'
 * expect.as('timestamptz') // '$1::text::timestamptz'
 * ```
 */
export class StatementParameters {
  readonly #values: unknown[] = []
  #count = 0

  /** The values given to {@link add}, `values[n - 1]` for `$n`. */
  get values(): readonly unknown[] {
    return this.#values
  }

  /** How many parameters were taken so far: the position of the last one. */
  get count(): number {
    return this.#count
  }

  /** Takes the next parameter, to be given its value when the statement runs. */
  reserve(): StatementParameter {
    this.#count += 1
    const position = this.#count
    return Object.freeze({ position, as: (type: string) => textParameter(position, type) })
  }

  /** Takes the next parameter with its value; returns its placeholder cast to `type`. */
  add(value: unknown, type: string): string {
    if (this.#values.length !== this.#count) {
      throw new Error('StatementParameters: add() after reserve() would misplace the values')
    }
    this.#values.push(value)
    return this.reserve().as(type)
  }
}
