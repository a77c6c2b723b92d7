-- the first statement of a write's next attempt after it found its key's lock busy (transaction() and a single write's retry): every statement sent
-- queueForKey(trx, keyLock) (src/transaction/transaction.ts)
-- regenerate: npm run golden
begin;

select pg_advisory_xact_lock($1::text::bigint);

commit;
