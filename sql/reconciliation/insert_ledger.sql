-- The run's outcomes for packages new to the ledger.
INSERT INTO carrier_cost_ledger (
    carrier, tracking_number, status, billed_cost, expected_cost, variance, billed_weight_lb,
    expected_weight_lb, ship_date, run_id, exception_id, updated_at
)
SELECT
    carrier, tracking_number, status, billed_cost, expected_cost, variance, billed_weight_lb,
    expected_weight_lb, ship_date, CAST(:run_id AS VARCHAR), exception_id,
    CAST(:now AS TIMESTAMP WITH TIME ZONE)
FROM recon_outcome
WHERE NOT in_prior
