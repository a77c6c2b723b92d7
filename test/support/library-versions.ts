import { readdirSync } from 'node:fs'
import { LIBRARY_SQL_FOLDER } from '../../src/install/install.js'

/** The library SQL versions a full install applies: the files of `sql/`, in order. */
export const LIBRARY_VERSIONS: readonly string[] = readdirSync(LIBRARY_SQL_FOLDER)
  .filter((file) => file.endsWith('.sql'))
  .sort()
  .map((file) => file.slice(0, -'.sql'.length))
