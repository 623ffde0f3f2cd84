-- The managers' dashboard: the packages of each list, the largest amount first (the variance, else
-- the billed cost, else the expected cost), at most :cap per list, in one pass; the lists' totals
-- come from dashboard_summary. Lists: top_variances (cost and weight), duplicates, billed_not_shipped,
-- shipped_not_billed. Filters as there.
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
),
listed AS (
    SELECT
        shown.*,
        CASE status
            WHEN 'COST_VARIANCE' THEN 'top_variances'
            WHEN 'WEIGHT_VARIANCE' THEN 'top_variances'
            WHEN 'DUPLICATE_BILLING' THEN 'duplicates'
            WHEN 'BILLED_NOT_SHIPPED' THEN 'billed_not_shipped'
            WHEN 'SHIPPED_NOT_BILLED' THEN 'shipped_not_billed'
        END AS list
    FROM shown
    WHERE status IN ('COST_VARIANCE', 'WEIGHT_VARIANCE', 'DUPLICATE_BILLING', 'BILLED_NOT_SHIPPED',
                     'SHIPPED_NOT_BILLED')
),
ranked AS (
    SELECT
        listed.*,
        ROW_NUMBER() OVER (
            PARTITION BY list
            ORDER BY ABS(COALESCE(variance, billed_cost, expected_cost, 0)) DESC, ship_date, carrier,
                     tracking_number
        ) AS place
    FROM listed
)
SELECT *
FROM ranked
WHERE place <= :cap
ORDER BY list, place
