export { startTestServer } from './test-server.js'
export type { StartTestServerOptions, TestServer } from './test-server.js'
export { createTestDatabase } from './test-database.js'
export type { CreateTestDatabaseOptions, TestDatabase } from './test-database.js'
