export { transaction, type TransactionOptions } from './transaction.js'
