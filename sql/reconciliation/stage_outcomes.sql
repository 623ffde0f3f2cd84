-- DOMAIN "Reconciliation (managers)", set-based: one row per carrier + tracking number in the bills or
-- the WMS export (of one carrier, if given) with the first status that applies, its billed and expected
-- cost, variance and weights, beside what the ledger held before. The pure specification of each rule
-- is engine.reconciliation.rules.decide; a test holds the two together on DuckDB and PostgreSQL.
-- Settings arrive as binds and the staged recon_band / recon_divisor tables (admin-editable).
INSERT INTO recon_outcome (
    carrier, tracking_number, status, billed_cost, expected_cost, variance, billed_weight_lb,
    expected_weight_lb, ship_date, in_prior, prior_status, prior_exception_id, exception_id
)
WITH bill_row AS (
    -- One row per bill row (file row): its charges summed, and the rated weight and DIM divisor of its
    -- freight charge when it bills freight.
    SELECT
        carrier,
        tracking_number,
        invoice_date,
        invoice_number,
        file_id,
        file_row,
        SUM(amount) AS amount,
        BOOL_OR(is_freight) AS is_freight,
        MAX(CASE WHEN is_freight THEN rated_weight_lb END) AS rated_weight_lb,
        MAX(CASE WHEN is_freight THEN dim_divisor END) AS dim_divisor
    FROM shipment_charges
    WHERE (CAST(:carrier AS VARCHAR) IS NULL OR carrier = CAST(:carrier AS VARCHAR))
    GROUP BY carrier, tracking_number, invoice_date, invoice_number, file_id, file_row
),
ranked AS (
    -- Freight rows ranked the way DOMAIN orders them: invoice date, invoice number, file row.
    SELECT
        bill_row.*,
        CASE WHEN is_freight THEN ROW_NUMBER() OVER (
            PARTITION BY carrier, tracking_number, is_freight
            ORDER BY invoice_date, invoice_number, file_row, file_id
        ) END AS freight_rank
    FROM bill_row
),
billed AS (
    SELECT
        carrier,
        tracking_number,
        SUM(amount) AS billed_cost,
        COUNT(freight_rank) AS freight_rows,
        SUM(CASE WHEN freight_rank > 1 THEN amount ELSE 0 END) AS duplicate_amount,
        MAX(CASE WHEN freight_rank = 1 THEN rated_weight_lb END) AS billed_weight_lb,
        MAX(CASE WHEN freight_rank = 1 THEN dim_divisor END) AS row_divisor
    FROM ranked
    GROUP BY carrier, tracking_number
),
wms AS (
    SELECT *
    FROM wms_shipment
    WHERE (CAST(:carrier AS VARCHAR) IS NULL OR carrier = CAST(:carrier AS VARCHAR))
),
wms_window AS (
    -- The WMS coverage window of each carrier: its earliest to latest WMS ship date.
    SELECT carrier, MIN(ship_date) AS first_day, MAX(ship_date) AS last_day
    FROM wms_shipment
    GROUP BY carrier
),
package AS (
    SELECT
        COALESCE(b.carrier, w.carrier) AS carrier,
        COALESCE(b.tracking_number, w.tracking_number) AS tracking_number,
        b.billed_cost,
        b.freight_rows,
        b.duplicate_amount,
        b.billed_weight_lb,
        b.row_divisor,
        w.tracking_number IS NOT NULL AS in_wms,
        w.ship_date AS wms_ship_date,
        w.expected_cost,
        w.weight_lb,
        w.length_in * w.width_in * w.height_in AS volume
    FROM billed AS b
    FULL OUTER JOIN wms AS w ON w.carrier = b.carrier AND w.tracking_number = b.tracking_number
),
sized AS (
    SELECT
        p.*,
        a.ship_date AS billed_ship_date,
        win.first_day,
        win.last_day,
        -- The bill row's divisor, else the carrier's setting, else the default setting.
        COALESCE(NULLIF(p.row_divisor, 0), d.dim_divisor, CAST(:dim_divisor AS INTEGER)) AS divisor
    FROM package AS p
    LEFT JOIN shipment_attributes AS a ON a.carrier = p.carrier AND a.tracking_number = p.tracking_number
    LEFT JOIN wms_window AS win ON win.carrier = p.carrier
    LEFT JOIN recon_divisor AS d ON d.carrier = p.carrier
),
guessed AS (
    -- ⌈volume / divisor⌉: DuckDB divides decimals in floating point, so the guess is checked and
    -- moved by one against the exact products below (a quotient a hair off an integer stays exact).
    SELECT s.*, CAST(CEIL(s.volume / s.divisor) AS BIGINT) AS dim_guess
    FROM sized AS s
),
weighed AS (
    SELECT
        g.*,
        CASE
            WHEN g.weight_lb IS NULL THEN NULL
            WHEN g.volume IS NULL THEN CEIL(g.weight_lb)
            ELSE GREATEST(
                CEIL(g.weight_lb),
                CASE
                    WHEN (g.dim_guess - 1) * g.divisor >= g.volume THEN g.dim_guess - 1
                    WHEN g.dim_guess * g.divisor < g.volume THEN g.dim_guess + 1
                    ELSE g.dim_guess
                END
            )
        END AS expected_weight_lb,
        COALESCE(band.absolute_tolerance, g.expected_cost * band.relative_tolerance) AS cost_tolerance
    FROM guessed AS g
    LEFT JOIN recon_band AS band
        ON g.expected_cost IS NOT NULL
        AND (band.low IS NULL OR g.expected_cost >= band.low)
        AND (band.below IS NULL OR g.expected_cost < band.below)
),
decided AS (
    SELECT
        w.*,
        CASE
            WHEN w.freight_rows > 1 THEN 'DUPLICATE_BILLING'
            WHEN NOT w.in_wms THEN
                CASE
                    WHEN w.billed_ship_date BETWEEN w.first_day AND w.last_day THEN 'BILLED_NOT_SHIPPED'
                    ELSE 'NOT_IN_WMS_WINDOW'
                END
            WHEN w.billed_cost IS NULL THEN
                -- ship date + grace days <= as-of, i.e. ship date <= as-of − grace days (:shipped_by)
                CASE
                    WHEN w.wms_ship_date <= CAST(:shipped_by AS DATE) THEN 'SHIPPED_NOT_BILLED'
                    ELSE 'AWAITING_BILL'
                END
            WHEN w.billed_weight_lb - w.expected_weight_lb > CAST(:weight_tolerance AS NUMERIC(18, 6))
                THEN 'WEIGHT_VARIANCE'
            WHEN ABS(w.billed_cost - w.expected_cost) > w.cost_tolerance THEN 'COST_VARIANCE'
            ELSE 'MATCHED'
        END AS status
    FROM weighed AS w
)
SELECT
    d.carrier,
    d.tracking_number,
    d.status,
    d.billed_cost,
    d.expected_cost,
    CASE
        WHEN d.status = 'DUPLICATE_BILLING' THEN d.duplicate_amount
        ELSE COALESCE(d.billed_cost, 0) - COALESCE(d.expected_cost, 0)
    END,
    d.billed_weight_lb,
    d.expected_weight_lb,
    COALESCE(d.wms_ship_date, d.billed_ship_date),
    l.carrier IS NOT NULL,
    l.status,
    l.exception_id,
    -- A finding that holds keeps its exception (a person may have dismissed it: not raised again).
    CASE WHEN d.status IN :findings AND d.status = l.status THEN l.exception_id END
FROM decided AS d
LEFT JOIN carrier_cost_ledger AS l ON l.carrier = d.carrier AND l.tracking_number = d.tracking_number
