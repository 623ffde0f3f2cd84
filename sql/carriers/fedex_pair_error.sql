-- The first filled pair slot that cannot be read: an amount that is no number, or no description.
SELECT n, s AS slot, d AS description, a AS amount, carrier_money_bad(a) AS bad_amount
FROM carrier_stage_pairs
WHERE carrier_money_bad(a) OR d = ''
ORDER BY n, s
LIMIT 1
