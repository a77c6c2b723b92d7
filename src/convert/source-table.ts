import type { AnyKysely } from '../any-kysely.js'
import { InvalidInputError } from '../errors/errors.js'
import { runStatement } from '../statement/run-statement.js'
import { arrayLiteral } from '../values/array-literal.js'
import { type QualifiedName, quoteQualifiedName } from '../schema/identifier.js'

/** One column of the plain table, as the catalog describes it. */
export interface SourceColumn {
  readonly name: string
  /** `format_type(atttypid, atttypmod)`: `numeric(10,2)`, `timestamp with time zone`. Catalog text, safe to inline. */
  readonly type: string
  /** The type's oid, for compatibility checks. */
  readonly typeOid: number
}

/** The plain table a conversion reads, and what depends on it. */
export interface SourceTable {
  readonly oid: number
  /** `"schema"."name"` as the catalog resolves it (the schema is always named). */
  readonly quoted: string
  readonly schema: string
  readonly name: string
  /** A partitioned table (`relkind` `p`) rather than an ordinary one. */
  readonly partitioned: boolean
  /** In table order (`attnum`). */
  readonly columns: readonly SourceColumn[]
  /** Views and other rules that read the table, by name: a rename would leave them on the old table. */
  readonly dependentViews: readonly string[]
  /** Foreign keys of other tables that reference it, as `table.constraint`. */
  readonly referencingForeignKeys: readonly string[]
  /** Estimated live rows (`reltuples`), for choosing batches; `-1` if never analysed. */
  readonly estimatedRows: number
  /** Pages on disk now. */
  readonly pages: number
}

/**
 * Reads the catalog entry of the plain table `name`: an ordinary or
 * partitioned table, else {@link InvalidInputError}. Sends one query; reads
 * only.
 *
 * ```sql
 * select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind,
 *   c.reltuples::float8 as estimated_rows,
 *   (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages,
 *   (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'oid', a.atttypid::int) order by a.attnum)
 *      from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
 *   <views whose rewrite rules depend on c> as views, <foreign keys whose confrelid is c> as foreign_keys
 * from pg_class c join pg_namespace n on n.oid = c.relnamespace
 * where c.oid = to_regclass($1::text)
 * ```
 */
export async function readSourceTable(db: AnyKysely, name: QualifiedName): Promise<SourceTable> {
  const [row] = await runStatement(
    db,
    `select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind,
       c.reltuples::float8 as estimated_rows,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages,
       (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'oid', a.atttypid::int) order by a.attnum)
          from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
       (select coalesce(json_agg(distinct r.ev_class::regclass::text), '[]')
          from pg_depend d join pg_rewrite r on r.oid = d.objid
          where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = c.oid
            and r.ev_class <> c.oid) as views,
       (select coalesce(json_agg(k.conrelid::regclass::text || '.' || k.conname), '[]')
          from pg_constraint k where k.contype = 'f' and k.confrelid = c.oid and k.conrelid <> c.oid) as foreign_keys
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.oid = to_regclass($1::text)`,
    [quoteQualifiedName(name)],
  )
  if (row === undefined) {
    throw new InvalidInputError(`convert: the table ${quoteQualifiedName(name)} does not exist (or is not on the search_path)`)
  }
  if (row['kind'] !== 'r' && row['kind'] !== 'p') {
    throw new InvalidInputError(`convert: ${quoteQualifiedName(name)} is not a plain table (relkind ${String(row['kind'])}); convert the table it reads from`)
  }
  const columns = (row['columns'] as { name: string; type: string; oid: number }[] | null) ?? []
  const schema = String(row['schema'])
  const table = String(row['name'])
  return Object.freeze({
    oid: Number(row['oid']),
    quoted: `"${schema}"."${table}"`,
    schema,
    name: table,
    partitioned: row['kind'] === 'p',
    columns: Object.freeze(columns.map((c) => Object.freeze({ name: c.name, type: c.type, typeOid: c.oid }))),
    dependentViews: Object.freeze(row['views'] as string[]),
    referencingForeignKeys: Object.freeze(row['foreign_keys'] as string[]),
    estimatedRows: Number(row['estimated_rows']),
    pages: Number(row['pages']),
  })
}

/** The oid `to_regclass` gives a name, or `undefined` when nothing has that name. */
export async function relationOid(db: AnyKysely, quoted: string): Promise<number | undefined> {
  const [row] = await runStatement(db, 'select to_regclass($1::text)::oid::int as oid', [quoted])
  return row?.['oid'] === null || row?.['oid'] === undefined ? undefined : Number(row['oid'])
}

/**
 * The target types (SQL type text of a definition, e.g. `numeric(10,2)`)
 * that a source type cannot be assigned to, as PostgreSQL's catalog says:
 * same type, an implicit or assignment cast, or a string target (I/O
 * conversion) are fine. Arrays, domains, enums and other non-base types are
 * left to the INSERT itself, whose error is mapped and rolls everything
 * back.
 */
export async function incompatibleTypes(
  db: AnyKysely,
  pairs: readonly { readonly column: string; readonly sourceOid: number; readonly targetType: string }[],
): Promise<{ readonly column: string; readonly problem: string }[]> {
  if (pairs.length === 0) return []
  const rows = await runStatement(
    db,
    `select p.column_name, p.target_type, to_regtype(p.target_type) is null as missing,
       not (s.oid = t.oid
         or s.typtype <> 'b' or t.typtype <> 'b' or s.typcategory = 'A' or t.typcategory = 'A' or t.typcategory = 'S'
         or exists (select from pg_cast c where c.castsource = s.oid and c.casttarget = t.oid and c.castcontext in ('a', 'i'))) as incompatible,
       format_type(s.oid, null) as source_type
     from unnest($1::text::text[], $2::text::oid[], $3::text::text[]) as p (column_name, source_oid, target_type)
     join pg_type s on s.oid = p.source_oid
     left join pg_type t on t.oid = to_regtype(p.target_type)`,
    [arrayLiteral(pairs.map((p) => p.column)), arrayLiteral(pairs.map((p) => String(p.sourceOid))), arrayLiteral(pairs.map((p) => p.targetType))],
  )
  const problems: { column: string; problem: string }[] = []
  for (const row of rows) {
    const column = String(row['column_name'])
    if (row['missing'] === true) problems.push({ column, problem: `type ${String(row['target_type'])} does not exist` })
    else if (row['incompatible'] === true) {
      problems.push({ column, problem: `${String(row['source_type'])} cannot be assigned to ${String(row['target_type'])}` })
    }
  }
  return problems
}
