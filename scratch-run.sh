psql -h 127.0.0.1 -d test -qc "drop database if exists bt_scratch" -c "create database bt_scratch" 2>&1 | grep -v NOTICE
npx tsx scratch-tmp.ts 2>&1 | grep -v nodedir
