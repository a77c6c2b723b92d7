-- customers.erase(key, { actor, reason, columns: ['name'] }) (the parent of contracts): every statement sent
-- eraseKey (src/repository/erase.ts)
-- regenerate: npm run golden
select erasure_id::text as erasure_id, erased_versions::text as erased_versions, array_to_json(erased_columns)::text as erased_columns from bitemporal.erase($1::text::regclass, $2::text::jsonb, $3::text, $4::text, $5::text::text[]);
