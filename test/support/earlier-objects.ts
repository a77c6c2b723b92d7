import type { TableDefinition } from '../../src/schema/define-table.js'
import { quoteIdentifier } from '../../src/schema/identifier.js'

/**
 * SQL that puts back the per-table objects the library made before
 * decisions 73 and 74, in place of this version's: `<table>_changed_after`
 * with 5 arguments (a count, no `tid[]`), and the insert check and history
 * guard with conditions that call `bitemporal.system_time()`. What
 * `upgradeTable` and `bitemporal check` meet on a table created by an earlier
 * version. For a table in the search path, with date valid time and no
 * audit columns.
 */
export function earlierObjectsSql(definition: TableDefinition): string {
  const q = quoteIdentifier
  const table = q(definition.table.name)
  const name = (suffix: string): string => q(`${definition.table.name}_${suffix}`)
  const system = q(definition.systemColumn)
  const keys = definition.keyColumns
  const keyTypes = keys.map((column) => column.type).join(', ')
  const keyMatch = keys.map((column, i) => `h.${q(column.name)} = $${String(i + 1)}`).join(' and ')
  const [t, reach, seen] = [1, 2, 3].map((n) => `$${String(keys.length + n)}`)
  const columns = [...keys, ...definition.valueColumns].map((column) => q(column.name))
  const effective = q(definition.effectiveColumn)
  const row = (from: string, systemFrom: string): string =>
    `row(${[...columns.map((c) => `${from}.${c}`), `${from}.${effective}`, `${systemFrom}.${system}`].join(', ')})::${table}`
  return `
    drop function ${name('changed_after')}(${keyTypes}, timestamp, daterange, bigint, tid[]);
    create function ${name('changed_after')}(${keyTypes}, timestamp, daterange, bigint) returns boolean
    language plpgsql volatile as $$
    begin
      return exists (select 1 from ${table} as h where ${keyMatch} and h.${system} && tsrange(${t ?? ''}, null, '()')
          and (lower(h.${system}) > ${t ?? ''} or (not upper_inf(h.${system}) and upper(h.${system}) > ${t ?? ''})))
        or (select count(*) from ${table} as h where ${keyMatch} and upper_inf(h.${system}) and h.${effective} && ${reach ?? ''}) <> ${seen ?? ''};
    end $$;
    drop trigger ${name('check_inserted_system')} on ${table};
    create trigger ${name('check_inserted_system')} before insert on ${table}
      for each row when (NEW.${system} is distinct from tsrange(bitemporal.system_time(), null, '[)'))
      execute function bitemporal.check_inserted_system('${definition.systemColumn}');
    drop trigger ${name('guard_history')} on ${table};
    create trigger ${name('guard_history')} before update on ${table}
      for each row when (not (upper_inf(OLD.${system}) and lower(OLD.${system}) < bitemporal.system_time()
        and NEW.${system} = tsrange(lower(OLD.${system}), bitemporal.system_time(), '[)')
        and ${row('OLD', 'NEW')} *= NEW
        and ${row('NEW', 'OLD')} *= OLD))
      execute function bitemporal.guard_history('${definition.systemColumn}');`
}
