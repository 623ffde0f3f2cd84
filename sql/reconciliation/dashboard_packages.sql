-- The managers' dashboard: the packages of some statuses, the largest amount first (the variance, else
-- the billed cost, else the expected cost), at most :cap of them; the totals come from
-- dashboard_summary. Filters as there.
WITH shown AS (
    SELECT l.*
    FROM carrier_cost_ledger AS l
    WHERE (CAST(:carrier AS VARCHAR) IS NULL OR l.carrier = CAST(:carrier AS VARCHAR))
      AND (CAST(:since AS DATE) IS NULL OR l.ship_date >= CAST(:since AS DATE))
      AND (CAST(:until AS DATE) IS NULL OR l.ship_date <= CAST(:until AS DATE))
      AND (CAST(:account AS VARCHAR) IS NULL OR EXISTS (
          SELECT 1 FROM shipment_charges AS c
          WHERE c.carrier = l.carrier AND c.tracking_number = l.tracking_number
            AND c.account = CAST(:account AS VARCHAR)
      ))
)
SELECT *
FROM shown
WHERE status IN :statuses
ORDER BY ABS(COALESCE(variance, billed_cost, expected_cost, 0)) DESC, ship_date, carrier, tracking_number
LIMIT :cap
