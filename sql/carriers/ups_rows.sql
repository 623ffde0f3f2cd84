-- A UPS bill's rows typed, one charge each (DOMAIN, CARRIERS.md): freight is category SHP,
-- classification FRT and a positive net, written under its description (the service level); an
-- informational row of no amount bills nothing; any other row is one charge (a pair), an adjustment
-- when its category says so. A row without a tracking number is a charge of the invoice. A multi-piece
-- shipment is the packages sharing a lead shipment number within the invoice: the lead's own package
-- is the parent, the others its children.
CREATE OR REPLACE TEMP TABLE carrier_stage_typed AS
SELECT
    rowid - $base + $first AS n,
    invoice_number,
    carrier_layout_day(invoice_date) AS invoice_date,
    tracking,
    coalesce(NULLIF(lead_shipment, ''), tracking) AS lead_key,
    coalesce(carrier_money(net), 0) AS net,
    net AS net_text,
    carrier_money(invoice_amount) AS amount_due,
    carrier_pounds(billed_weight, billed_weight_unit, $kilograms) AS rated_weight_lb,
    carrier_pounds(entered_weight, entered_weight_unit, $kilograms) AS actual_weight_lb,
    carrier_layout_day(NULLIF(transaction_date, '')) AS ship_date,
    upper(charge_category) AS category,
    upper(charge_classification) AS classification,
    coalesce(
        NULLIF(charge_description, ''),
        concat_ws(
            ' ',
            NULLIF(upper(charge_category), ''),
            NULLIF(charge_category_detail, ''),
            NULLIF(upper(charge_classification), '')
        )
    ) AS description
FROM carrier_stage_raw;

CREATE OR REPLACE TEMP TABLE carrier_stage_pairs AS
SELECT n, 1 AS s, description AS d, net_text AS a, list_contains($adjustment_categories, category) AS adjustment
FROM carrier_stage_typed
WHERE NOT (category = $freight_category AND classification = $freight_classification AND net > 0)
  AND NOT (list_contains($informational, classification) AND net = 0);

CREATE OR REPLACE TEMP TABLE carrier_stage_rows AS
WITH groups AS (
    SELECT invoice_number, lead_key
    FROM carrier_stage_typed
    WHERE tracking <> ''
    GROUP BY invoice_number, lead_key
    HAVING bool_or(tracking <> lead_key)
),
flagged AS (
    SELECT
        t.*,
        t.category = $freight_category AND t.classification = $freight_classification AND t.net > 0
            AS is_freight,
        g.lead_key IS NOT NULL AND t.tracking <> '' AS in_group
    FROM carrier_stage_typed AS t
    LEFT JOIN groups AS g ON g.invoice_number = t.invoice_number AND g.lead_key = t.lead_key
)
SELECT
    n,
    invoice_number,
    invoice_date,
    tracking,
    tracking AS shipment,
    CASE WHEN NOT in_group THEN NULL WHEN tracking = lead_key THEN 'parent' ELSE 'child' END AS mps_role,
    CASE WHEN in_group AND tracking <> lead_key THEN lead_key END AS lead,
    tracking = '' AS invoice_level,
    CASE WHEN is_freight THEN net END AS freight,
    net,
    amount_due,
    rated_weight_lb,
    actual_weight_lb,
    CASE WHEN is_freight THEN description END AS service,
    ship_date,
    CAST(NULL AS DECIMAL(12, 2)) AS length_in,
    CAST(NULL AS DECIMAL(12, 2)) AS width_in,
    CAST(NULL AS DECIMAL(12, 2)) AS height_in,
    CAST(NULL AS INTEGER) AS dim_divisor,
    description AS freight_name,
    tracking AS package_key
FROM flagged;

DROP TABLE carrier_stage_typed;
