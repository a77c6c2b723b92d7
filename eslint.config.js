// @ts-check
import eslint from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // .bitemporal-test/ holds what the tests generate (the docs examples as modules).
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.bitemporal-test/'] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['eslint.config.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      // Kysely 0.29 moved its migration API from 'kysely' to
      // 'kysely/migration' (0.28 has no such subpath); both lines are
      // supported, so only src/migrate/kysely-migration-api.ts touches it.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kysely',
              importNames: [
                'DEFAULT_ALLOW_UNORDERED_MIGRATIONS', 'DEFAULT_MIGRATION_LOCK_TABLE', 'DEFAULT_MIGRATION_TABLE',
                'FileMigrationProvider', 'FileMigrationProviderFS', 'FileMigrationProviderPath', 'FileMigrationProviderProps',
                'MIGRATION_LOCK_ID', 'MigrateOptions', 'Migration', 'MigrationInfo', 'MigrationProvider', 'MigrationResult',
                'MigrationResultSet', 'Migrator', 'MigratorProps', 'NO_MIGRATIONS', 'NoMigrations',
              ],
              message: "Kysely 0.29 moved it to 'kysely/migration': use src/migrate/kysely-migration-api.ts, which works on 0.28 and 0.29.",
            },
            { name: 'kysely/migration', message: 'Kysely 0.28 has no such subpath: use src/migrate/kysely-migration-api.ts.' },
          ],
        },
      ],
    },
  },
  {
    // A function a reviewer can hold in their head: build long things from
    // small named steps (the write statement is one file per step).
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }] },
  },
  {
    // The seam itself: reads the namespace of whichever line is installed.
    files: ['src/migrate/kysely-migration-api.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
)
