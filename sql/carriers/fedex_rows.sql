-- The bill's rows typed, with their shipment and MPS role (CARRIERS.md): within an invoice and
-- tracking id that has MPS members, an empty "MPS Package ID" is the group header (a summary, not
-- counted), equal to the tracking id the parent, different a child billed under its own tracking
-- number; the header's values go to the members that lack them. A row with no freight and no rated
-- weight is a charge of the invoice, not a shipment.
CREATE OR REPLACE TEMP TABLE carrier_stage_rows AS
WITH typed AS (
    SELECT
        rowid - $base + 2 AS n,
        invoice_number,
        CAST(strptime(invoice_date, $date_format) AS DATE) AS invoice_date,
        tracking,
        carrier_money(freight) AS freight,
        coalesce(carrier_money(net), 0) AS net,
        carrier_money(amount_due) AS amount_due,
        carrier_pounds(rated_weight, rated_units, $kilograms) AS rated_weight_lb,
        carrier_pounds(actual_weight, actual_units, $kilograms) AS actual_weight_lb,
        NULLIF(service, '') AS service,
        CAST(try_strptime(NULLIF(ship_date, ''), $date_format) AS DATE) AS ship_date,
        carrier_inches(dim_length, dim_unit, $centimetres) AS length_in,
        carrier_inches(dim_width, dim_unit, $centimetres) AS width_in,
        carrier_inches(dim_height, dim_unit, $centimetres) AS height_in,
        CAST(NULLIF(trunc(CAST(NULLIF(dim_divisor, '') AS DECIMAL(38, 10))), 0) AS INTEGER) AS dim_divisor,
        mps_package_id
    FROM carrier_stage_raw
),
flagged AS (
    SELECT *, coalesce(freight, 0) = 0 AND coalesce(rated_weight_lb, 0) = 0 AS invoice_level
    FROM typed
),
groups AS (
    SELECT
        invoice_number,
        tracking,
        count(*) AS members,
        min(n) FILTER (WHERE mps_package_id = '') AS header_n
    FROM flagged
    WHERE NOT invoice_level
    GROUP BY invoice_number, tracking
    HAVING bool_or(mps_package_id <> '')
),
roles AS (
    SELECT
        f.*,
        g.header_n,
        CASE
            WHEN g.tracking IS NULL THEN NULL
            WHEN f.mps_package_id = '' THEN CASE WHEN g.members > 1 THEN 'header' END
            WHEN f.mps_package_id = f.tracking THEN 'parent'
            ELSE 'child'
        END AS mps_role
    FROM flagged AS f
    LEFT JOIN groups AS g
        ON NOT f.invoice_level AND g.invoice_number = f.invoice_number AND g.tracking = f.tracking
)
SELECT
    r.n,
    r.invoice_number,
    r.invoice_date,
    r.tracking,
    CASE WHEN r.mps_role = 'child' THEN r.mps_package_id ELSE r.tracking END AS shipment,
    r.mps_role,
    CASE WHEN r.mps_role = 'child' THEN r.tracking END AS lead,
    r.invoice_level,
    r.freight,
    r.net,
    r.amount_due,
    r.rated_weight_lb,
    r.actual_weight_lb,
    coalesce(r.service, h.service) AS service,
    coalesce(r.ship_date, h.ship_date) AS ship_date,
    coalesce(r.length_in, h.length_in) AS length_in,
    coalesce(r.width_in, h.width_in) AS width_in,
    coalesce(r.height_in, h.height_in) AS height_in,
    coalesce(r.dim_divisor, h.dim_divisor) AS dim_divisor,
    CAST($freight_charge AS VARCHAR) AS freight_name,
    r.n AS package_key
FROM roles AS r
LEFT JOIN flagged AS h ON h.n = r.header_n AND r.n <> r.header_n;
