import { describe, expect, it } from 'vitest'
import { renderHistory } from '../../src/render/index.js'
import { invalidInput } from '../support/invalid-input.js'
import { afterCorrection, rateVersion, T1, T2 } from '../support/render-fixtures.js'

// Everything renderHistory is given is checked before anything is drawn,
// and a bad input is an InvalidInputError naming what is wrong.

const render = renderHistory as (versions: unknown, options: unknown) => string

describe('renderHistory inputs', () => {
  it.each([
    ['not an array', { versions: afterCorrection[0] }, /versions must be an array/],
    ['null', { versions: null }, /versions must be an array/],
    ['an element that is not an object', { versions: [afterCorrection[0], 'v'] }, /versions\[1\] must be a version/],
    ['a missing effective', { versions: [{ key: {}, values: {}, system: { from: T1, to: null } }] }, /versions\[0\]\.effective must be an object/],
    ['values that are an array', { versions: [{ ...afterCorrection[0], values: [] }] }, /versions\[0\]\.values must be an object/],
    ['a day that does not exist', { versions: [rateVersion('1', ['2023-02-30', null], [T1, null])] }, /effective\.from/],
    ['an instant without offset', { versions: [rateVersion('1', ['2023-02-01', null], ['2023-10-16T09:30:00', null])] }, /system\.from/],
    ['a Date instead of a string', { versions: [{ ...afterCorrection[0], system: { from: new Date(), to: null } }] }, /system\.from must be a string/],
    ['an undefined end (not null)', { versions: [{ ...afterCorrection[0], effective: { from: '2023-01-01' } }] }, /effective\.to must be a string/],
    ['an empty range', { versions: [rateVersion('1', ['2023-02-01', '2023-02-01'], [T1, null])] }, /\[2023-02-01, 2023-02-01\) is empty/],
    ['a reversed range', { versions: [rateVersion('1', ['2023-02-01', null], [T2, T1])] }, /system .* is reversed/],
  ])('refuses %s', (_, { versions }, message) => {
    expect(invalidInput(() => render(versions, { format: 'text' })).message).toMatch(message)
  })

  it('refuses versions of several keys, naming both', () => {
    const other = rateVersion('0.3', ['2023-01-01', null], [T1, null], { state_id: 2, tax_type: 'income_tax' })
    const error = invalidInput(() => render([...afterCorrection, other], { format: 'svg' }))
    expect(error.message).toMatch(/versions\[2\] has key state_id=2, tax_type=income_tax but versions\[0\] has state_id=1, tax_type=income_tax/)
  })

  it('takes the same key with its properties in another order as one key', () => {
    const reordered = rateVersion('0.3', ['2022-01-01', '2023-01-01'], [T1, null], { tax_type: 'income_tax', state_id: 1 })
    expect(render([...afterCorrection, reordered], { format: 'text' })).toContain('rate 0.3')
  })

  it('refuses versions that overlap in both valid and system time', () => {
    const overlapping = rateVersion('0.3', ['2023-06-01', '2023-07-01'], [T2, null])
    expect(invalidInput(() => render([...afterCorrection, overlapping], { format: 'text' })).message).toMatch(/versions\[1\] and versions\[2\] overlap/)
  })

  it.each([
    ['no options', undefined, /options must be an object/],
    ['a missing format', {}, /format must be 'svg' or 'text', got undefined/],
    ['an unknown format', { format: 'png' }, /format must be 'svg' or 'text', got "png"/],
    ['a misspelt option', { format: 'text', colour: true }, /unknown option "colour"/],
    ['a label that is not a function', { format: 'text', label: 'rate' }, /label must be a function/],
    ['a label that returns no string', { format: 'text', label: () => 15 }, /label must return a string, got the number 15 for versions\[0\]/],
    ['a title that is not a string', { format: 'svg', title: 5 }, /title must be a string/],
    ['a color that is not a boolean', { format: 'text', color: 'yes' }, /color must be true or false/],
  ])('refuses %s', (_, options, message) => {
    expect(invalidInput(() => render(afterCorrection, options)).message).toMatch(message)
  })
})
