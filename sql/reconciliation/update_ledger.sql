-- The run's outcomes over the packages the ledger already holds; dispute fields are kept.
UPDATE carrier_cost_ledger
SET status = o.status,
    billed_cost = o.billed_cost,
    expected_cost = o.expected_cost,
    variance = o.variance,
    billed_weight_lb = o.billed_weight_lb,
    expected_weight_lb = o.expected_weight_lb,
    ship_date = o.ship_date,
    run_id = CAST(:run_id AS VARCHAR),
    exception_id = o.exception_id,
    updated_at = CAST(:now AS TIMESTAMP WITH TIME ZONE)
FROM recon_outcome AS o
WHERE carrier_cost_ledger.carrier = o.carrier
    AND carrier_cost_ledger.tracking_number = o.tracking_number
    AND o.in_prior
