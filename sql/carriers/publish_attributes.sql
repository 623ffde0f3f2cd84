-- One row per carrier + tracking number, no cost: a shipment first seen in this bill is added; one
-- seen before has what this bill states refreshed (never its first invoice).
INSERT INTO shipment_attributes (
    carrier, tracking_number, service, ship_date, actual_weight_lb, rated_weight_lb, length_in,
    width_in, height_in, dim_divisor, mps_role, lead_tracking_number, first_invoice_number, updated_at
)
SELECT
    CAST(:carrier AS VARCHAR(20)), a.tracking_number, a.service, a.ship_date, a.actual_weight_lb,
    a.rated_weight_lb, a.length_in, a.width_in, a.height_in, a.dim_divisor, a.mps_role,
    a.lead_tracking_number, a.first_invoice_number, CAST(:now AS TIMESTAMP WITH TIME ZONE)
FROM carrier_stage_attributes AS a
ON CONFLICT (carrier, tracking_number) DO UPDATE SET
    service = coalesce(EXCLUDED.service, shipment_attributes.service),
    ship_date = coalesce(EXCLUDED.ship_date, shipment_attributes.ship_date),
    actual_weight_lb = coalesce(EXCLUDED.actual_weight_lb, shipment_attributes.actual_weight_lb),
    rated_weight_lb = coalesce(EXCLUDED.rated_weight_lb, shipment_attributes.rated_weight_lb),
    length_in = coalesce(EXCLUDED.length_in, shipment_attributes.length_in),
    width_in = coalesce(EXCLUDED.width_in, shipment_attributes.width_in),
    height_in = coalesce(EXCLUDED.height_in, shipment_attributes.height_in),
    dim_divisor = coalesce(EXCLUDED.dim_divisor, shipment_attributes.dim_divisor),
    mps_role = EXCLUDED.mps_role,
    lead_tracking_number = coalesce(EXCLUDED.lead_tracking_number, shipment_attributes.lead_tracking_number),
    updated_at = EXCLUDED.updated_at
