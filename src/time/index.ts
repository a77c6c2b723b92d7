export type { DateInput, InstantInput } from './date-input.js'
