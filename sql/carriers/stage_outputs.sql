-- What the loaded invoices (carrier_stage_loaded) write, as views: the store's INSERT or the COPY to
-- PostgreSQL computes each once, straight from the stage, and nothing is held twice: the unpivot into shipment charges (freight
-- as "Transportation Charge" plus every filled pair slot), the charges of rows that are no shipment
-- (reference = their tracking id), and one attributes row per shipment (the latest value the bill
-- states for each column; the first invoice that billed it).
-- A view takes no parameters: the file's facts wait in a one-row table.
CREATE OR REPLACE TEMP TABLE carrier_stage_params AS
SELECT
    CAST($carrier AS VARCHAR) AS carrier,
    CAST($account AS VARCHAR) AS account,
    CAST($file_id AS VARCHAR) AS file_id,
    substr(CAST($file_id AS VARCHAR), 1, 16) AS prefix;

CREATE OR REPLACE TEMP VIEW carrier_stage_charges AS
SELECT
    carrier_charge_id(k.prefix, r.n, 0) AS charge_id,
    k.carrier,
    r.shipment AS tracking_number,
    k.account,
    r.invoice_number,
    i.invoice_date,
    k.file_id,
    r.n AS file_row,
    r.freight_name AS charge_type,
    r.freight AS amount,
    r.freight > 0 AS is_freight,
    r.rated_weight_lb,
    r.dim_divisor
FROM carrier_stage_rows AS r
JOIN carrier_stage_loaded AS l USING (invoice_number)
JOIN carrier_stage_invoices AS i USING (invoice_number)
CROSS JOIN carrier_stage_params AS k
WHERE r.mps_role IS DISTINCT FROM 'header' AND NOT r.invoice_level AND r.freight IS NOT NULL
UNION ALL
SELECT
    carrier_charge_id(k.prefix, p.n, p.s),
    k.carrier,
    r.shipment,
    k.account,
    r.invoice_number,
    i.invoice_date,
    k.file_id,
    p.n,
    p.d,
    coalesce(carrier_money(p.a), 0),
    false,
    CAST(NULL AS DECIMAL(12, 1)),
    CAST(NULL AS INTEGER)
FROM carrier_stage_pairs AS p
JOIN carrier_stage_rows AS r USING (n)
JOIN carrier_stage_loaded AS l USING (invoice_number)
JOIN carrier_stage_invoices AS i USING (invoice_number)
CROSS JOIN carrier_stage_params AS k
WHERE r.mps_role IS DISTINCT FROM 'header' AND NOT r.invoice_level;

CREATE OR REPLACE TEMP VIEW carrier_stage_levels AS
SELECT
    carrier_charge_id(k.prefix, p.n, p.s) AS charge_id,
    k.carrier,
    k.account,
    r.invoice_number,
    k.file_id,
    p.n AS file_row,
    NULLIF(r.tracking, '') AS reference,
    p.d AS charge_type,
    coalesce(carrier_money(p.a), 0) AS amount
FROM carrier_stage_pairs AS p
JOIN carrier_stage_rows AS r USING (n)
JOIN carrier_stage_loaded AS l USING (invoice_number)
CROSS JOIN carrier_stage_params AS k
WHERE r.invoice_level AND r.mps_role IS DISTINCT FROM 'header'
UNION ALL
-- freight on a row that names no shipment (a UPS row without a tracking number) is the invoice's too
SELECT
    carrier_charge_id(k.prefix, r.n, 0),
    k.carrier,
    k.account,
    r.invoice_number,
    k.file_id,
    r.n,
    NULLIF(r.tracking, ''),
    r.freight_name,
    r.freight
FROM carrier_stage_rows AS r
JOIN carrier_stage_loaded AS l USING (invoice_number)
CROSS JOIN carrier_stage_params AS k
WHERE r.invoice_level AND r.mps_role IS DISTINCT FROM 'header' AND coalesce(r.freight, 0) <> 0;

CREATE OR REPLACE TEMP VIEW carrier_stage_attributes AS
SELECT
    r.shipment AS tracking_number,
    arg_max(r.service, r.n) FILTER (WHERE r.service IS NOT NULL) AS service,
    arg_max(r.ship_date, r.n) FILTER (WHERE r.ship_date IS NOT NULL) AS ship_date,
    arg_max(r.actual_weight_lb, r.n) FILTER (WHERE r.actual_weight_lb IS NOT NULL) AS actual_weight_lb,
    arg_max(r.rated_weight_lb, r.n) FILTER (WHERE r.rated_weight_lb IS NOT NULL) AS rated_weight_lb,
    arg_max(r.length_in, r.n) FILTER (WHERE r.length_in IS NOT NULL) AS length_in,
    arg_max(r.width_in, r.n) FILTER (WHERE r.width_in IS NOT NULL) AS width_in,
    arg_max(r.height_in, r.n) FILTER (WHERE r.height_in IS NOT NULL) AS height_in,
    arg_max(r.dim_divisor, r.n) FILTER (WHERE r.dim_divisor IS NOT NULL) AS dim_divisor,
    arg_max(coalesce(r.mps_role, 'single'), r.n) AS mps_role,
    arg_max(r.lead, r.n) FILTER (WHERE r.lead IS NOT NULL) AS lead_tracking_number,
    arg_min(r.invoice_number, r.n) AS first_invoice_number
FROM carrier_stage_rows AS r
JOIN carrier_stage_loaded AS l USING (invoice_number)
WHERE NOT r.invoice_level AND r.mps_role IS DISTINCT FROM 'header'
GROUP BY r.shipment;
