-- The managers' dashboard: billed spend per week (Monday) by carrier, by service and by charge type,
-- in one pass over the charges (GROUPING SETS). A shipment's charge falls in the week of its ship
-- date (the bill's date when the carrier gave none); an invoice-level row (no shipment) in its
-- invoice's week, under the service "(invoice level)". `dimension` says which set a row belongs to.
WITH charge AS (
    SELECT
        c.carrier,
        COALESCE(a.service, '(no service)') AS service,
        c.charge_type,
        COALESCE(a.ship_date, c.invoice_date) AS day,
        c.amount
    FROM shipment_charges AS c
    LEFT JOIN shipment_attributes AS a
        ON a.carrier = c.carrier AND a.tracking_number = c.tracking_number
    WHERE (CAST(:carrier AS VARCHAR) IS NULL OR c.carrier = CAST(:carrier AS VARCHAR))
      AND (CAST(:account AS VARCHAR) IS NULL OR ltrim(c.account, '0') = ltrim(CAST(:account AS VARCHAR), '0'))
    UNION ALL
    SELECT i.carrier, '(invoice level)', i.charge_type, b.invoice_date, i.amount
    FROM invoice_charges AS i
    JOIN carrier_bill AS b
        ON b.carrier = i.carrier AND b.account = i.account AND b.invoice_number = i.invoice_number
    WHERE (CAST(:carrier AS VARCHAR) IS NULL OR i.carrier = CAST(:carrier AS VARCHAR))
      AND (CAST(:account AS VARCHAR) IS NULL OR ltrim(i.account, '0') = ltrim(CAST(:account AS VARCHAR), '0'))
),
shown AS (
    SELECT carrier, service, charge_type, CAST(DATE_TRUNC('week', day) AS DATE) AS week, amount
    FROM charge
    WHERE day IS NOT NULL
      AND (CAST(:since AS DATE) IS NULL OR day >= CAST(:since AS DATE))
      AND (CAST(:until AS DATE) IS NULL OR day <= CAST(:until AS DATE))
)
SELECT
    week,
    CASE
        WHEN GROUPING(carrier) = 0 THEN 'carrier'
        WHEN GROUPING(service) = 0 THEN 'service'
        ELSE 'charge_type'
    END AS dimension,
    COALESCE(carrier, service, charge_type) AS name,
    SUM(amount) AS amount
FROM shown
GROUP BY GROUPING SETS ((week, carrier), (week, service), (week, charge_type))
ORDER BY dimension, week, name
