-- The managers' dashboard: the distribution of the packages' variances (billed minus expected, the
-- packages that differ at all: a spike of exact matches at zero would hide the shape) in :bins equal
-- bins between the 1st and 99th percentile; the tails fall into the first and last bin, so a few
-- outliers do not squash the rest into one bar. Filters as in dashboard_summary.
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
differ AS (
    SELECT CAST(variance AS DOUBLE PRECISION) AS variance FROM shown WHERE variance <> 0
),
bounds AS (
    SELECT
        PERCENTILE_CONT(0.01) WITHIN GROUP (ORDER BY variance) AS low,
        PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY variance) AS high
    FROM differ
)
SELECT
    CASE
        WHEN b.high <= b.low THEN 0
        ELSE CAST(LEAST(CAST(:bins AS INTEGER) - 1, GREATEST(0, FLOOR((d.variance - b.low) / ((b.high - b.low) / CAST(:bins AS INTEGER)))))
                  AS INTEGER)
    END AS bin,
    MIN(b.low) AS low,
    MIN(b.high) AS high,
    COUNT(*) AS packages
FROM differ AS d CROSS JOIN bounds AS b
GROUP BY 1
ORDER BY 1
