-- The managers' dashboard, from the reconciled ledger in one pass (GROUPING SETS): per status the
-- packages and their billed, expected and variance sums (kind 'status'); per ship week (Monday) and
-- carrier the billed packages and their cost, for the cost per package (kind 'week'; a package
-- without a ship date has no week); per dispute state the packages, the claimed and the recovered
-- sums (kind 'dispute'; the undisputed are no group).
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
            AND ltrim(c.account, '0') = ltrim(CAST(:account AS VARCHAR), '0')
      ))
)
SELECT
    CASE
        WHEN GROUPING(status) = 0 THEN 'status'
        WHEN GROUPING(carrier) = 0 THEN 'week'
        ELSE 'dispute'
    END AS kind,
    COALESCE(status, dispute_status) AS name,
    week,
    carrier,
    -- a week counts the billed packages only: their cost divided by their number
    CASE WHEN GROUPING(carrier) = 0 THEN COUNT(billed_cost) ELSE COUNT(*) END AS packages,
    SUM(billed_cost) AS billed,
    SUM(expected_cost) AS expected,
    SUM(variance) AS variance,
    SUM(claim_amount) AS claimed,
    SUM(recovered_amount) AS recovered
FROM (SELECT shown.*, CAST(DATE_TRUNC('week', ship_date) AS DATE) AS week FROM shown) AS dated
GROUP BY GROUPING SETS ((status), (week, carrier), (dispute_status))
