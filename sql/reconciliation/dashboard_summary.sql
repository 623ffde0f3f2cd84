-- The managers' dashboard, from the reconciled ledger in one pass: per status the packages and their
-- billed, expected and variance sums (kind 'status'); per ship week (Monday) and carrier the billed
-- packages and their cost, for the cost per package (kind 'week'); per dispute state the packages,
-- the claimed and the recovered sums (kind 'dispute').
-- The filters, the same in every dashboard_* query of the ledger: carrier; account = billed on it
-- (the WMS export names no account, so a package only shipped has none); ship date in the period.
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
SELECT
    'status' AS kind, status AS name, CAST(NULL AS DATE) AS week, CAST(NULL AS VARCHAR) AS carrier,
    COUNT(*) AS packages, SUM(billed_cost) AS billed, SUM(expected_cost) AS expected,
    SUM(variance) AS variance, SUM(claim_amount) AS claimed, SUM(recovered_amount) AS recovered
FROM shown
GROUP BY status
UNION ALL
SELECT
    'week', CAST(NULL AS VARCHAR), CAST(DATE_TRUNC('week', ship_date) AS DATE), carrier,
    COUNT(*), SUM(billed_cost), SUM(expected_cost), SUM(variance), SUM(claim_amount),
    SUM(recovered_amount)
FROM shown
WHERE billed_cost IS NOT NULL AND ship_date IS NOT NULL
GROUP BY CAST(DATE_TRUNC('week', ship_date) AS DATE), carrier
UNION ALL
SELECT
    'dispute', dispute_status, CAST(NULL AS DATE), CAST(NULL AS VARCHAR),
    COUNT(*), SUM(billed_cost), SUM(expected_cost), SUM(variance), SUM(claim_amount),
    SUM(recovered_amount)
FROM shown
WHERE dispute_status IS NOT NULL
GROUP BY dispute_status
