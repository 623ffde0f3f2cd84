-- The first row whose version or account is not the chosen layout's and account's (the version is
-- checked first on a row); n is the file line.
SELECT n, what, value
FROM (
    SELECT rowid - $base + $first AS n, 1 AS k, 'version' AS what, version AS value
    FROM carrier_stage_raw
    WHERE version <> $version
    UNION ALL
    SELECT rowid - $base + $first, 2, 'account', account
    FROM carrier_stage_raw
    WHERE carrier_account(account) <> carrier_account($account)
)
ORDER BY n, k
LIMIT 1
