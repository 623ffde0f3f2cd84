-- The first filled pair slot that cannot be read: an amount that is no number, no description, or a
-- description longer than the ledger's charge type.
SELECT n, s AS slot, d AS description, a AS amount, carrier_money_bad(a) AS bad_amount
FROM carrier_stage_pairs
WHERE carrier_money_bad(a) OR d = '' OR carrier_too_long(d, 200)
ORDER BY n, s
LIMIT 1
