import { fileURLToPath } from 'node:url'
import { ESLint, type Linter } from 'eslint'
import importX from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'
import { beforeAll, describe, expect, it } from 'vitest'

// The layers of src/ (docs/architecture.md) hold because `npm run lint`
// fails on an import that points up or sideways. This test takes the rule
// and its zones from the repository's own eslint.config.js, as ESLint
// computes them for a file of read/, and lints a few imports with it: an
// upward one and one between peers must fail, downward ones must pass.
// (Linting with the full, type-checked configuration would need the fixture
// on disk, inside the TypeScript project.)

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RULE = 'import-x/no-restricted-paths'

// One rule entry, with every zone, applies to all of src/: it is read once.
async function layerLinter(filePath: string): Promise<ESLint> {
  const config = (await new ESLint({ cwd: ROOT }).calculateConfigForFile(filePath)) as Linter.Config
  const ruleEntry = config.rules?.[RULE]
  if (ruleEntry === undefined) throw new Error(`eslint.config.js does not apply ${RULE} to ${filePath}`)
  const layersOnly: Linter.Config = {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { 'import-x': importX },
    settings: config.settings ?? {},
    rules: { [RULE]: ruleEntry },
  }
  return new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: layersOnly })
}

let linter: ESLint

async function layerErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await linter.lintText(source, { filePath })
  return (result?.messages ?? []).filter((message) => message.ruleId === RULE).map((message) => message.message)
}

describe('the layers of src/', () => {
  // Loading the configuration loads typescript-eslint: seconds on a busy machine.
  beforeAll(async () => {
    linter = await layerLinter('src/read/layers-fixture.ts')
  }, 120_000)

  it('refuse an import of a higher layer: read/ importing repository/', async () => {
    const errors = await layerErrors('src/read/layers-fixture.ts', "import { Repository } from '../repository/repository.js'\nexport const upward: unknown = Repository\n")
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('read is below these in the layers of src/')
  })

  it('refuse an import of a peer: read/ importing write/', async () => {
    const errors = await layerErrors('src/read/layers-fixture.ts', "import { writeSql } from '../write/write-sql.js'\nexport const peer: unknown = writeSql\n")
    expect(errors).toHaveLength(1)
  })

  it('refuse a type-only import of a higher layer: values/ importing schema/', async () => {
    const errors = await layerErrors('src/values/layers-fixture.ts', "import type { TableDefinition } from '../schema/define-table.js'\nexport type Upward = TableDefinition\n")
    expect(errors).toHaveLength(1)
  })

  it('allow imports of lower layers and of the same folder', async () => {
    const errors = await layerErrors(
      'src/read/layers-fixture.ts',
      [
        "import { tableSqlContext } from '../statement/table-sql-context.js'",
        "import { decodeVersion } from '../codec/decode-version.js'",
        "import { readOptions } from '../options/read-options.js'",
        "import { encodeWindow } from './read-input.js'",
        'export const lower: unknown[] = [tableSqlContext, decodeVersion, readOptions, encodeWindow]',
        '',
      ].join('\n'),
    )
    expect(errors).toEqual([])
  })
})
