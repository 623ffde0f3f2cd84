-- A shipment first seen in this bill: one row per carrier + tracking number, no cost.
INSERT INTO shipment_attributes (
    carrier, tracking_number, service, ship_date, actual_weight_lb, rated_weight_lb, length_in,
    width_in, height_in, dim_divisor, mps_role, lead_tracking_number, first_invoice_number, updated_at
)
SELECT
    CAST(:carrier AS VARCHAR(20)), a.tracking_number, a.service, a.ship_date, a.actual_weight_lb, a.rated_weight_lb,
    a.length_in, a.width_in, a.height_in, a.dim_divisor, a.mps_role, a.lead_tracking_number,
    a.first_invoice_number, :now
FROM carrier_stage_attributes AS a
WHERE NOT EXISTS (
    SELECT 1 FROM shipment_attributes AS s
    WHERE s.carrier = CAST(:carrier AS VARCHAR(20)) AND s.tracking_number = a.tracking_number
)
