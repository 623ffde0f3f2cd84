-- A shipment seen before: the later bill refreshes what it states (never the cost, never the first
-- invoice that billed it).
UPDATE shipment_attributes
SET
    service = coalesce(a.service, shipment_attributes.service),
    ship_date = coalesce(a.ship_date, shipment_attributes.ship_date),
    actual_weight_lb = coalesce(a.actual_weight_lb, shipment_attributes.actual_weight_lb),
    rated_weight_lb = coalesce(a.rated_weight_lb, shipment_attributes.rated_weight_lb),
    length_in = coalesce(a.length_in, shipment_attributes.length_in),
    width_in = coalesce(a.width_in, shipment_attributes.width_in),
    height_in = coalesce(a.height_in, shipment_attributes.height_in),
    dim_divisor = coalesce(a.dim_divisor, shipment_attributes.dim_divisor),
    mps_role = a.mps_role,
    lead_tracking_number = coalesce(a.lead_tracking_number, shipment_attributes.lead_tracking_number),
    updated_at = :now
FROM carrier_stage_attributes AS a
WHERE shipment_attributes.carrier = CAST(:carrier AS VARCHAR(20)) AND shipment_attributes.tracking_number = a.tracking_number
