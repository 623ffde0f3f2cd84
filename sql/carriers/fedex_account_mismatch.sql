-- The first row that bills another account than the chosen one.
SELECT rowid - $base + 2 AS n, account
FROM carrier_stage_raw
WHERE carrier_account(account) <> carrier_account($account)
ORDER BY n
LIMIT 1
