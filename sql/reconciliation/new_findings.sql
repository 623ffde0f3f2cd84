-- The findings of this run that need an exception: a status from 1 to 5 that the package did not
-- already hold with an exception (the staged exception_id is the kept one).
SELECT carrier, tracking_number, status, billed_cost, expected_cost, variance, billed_weight_lb,
    expected_weight_lb
FROM recon_outcome
WHERE status IN :findings AND exception_id IS NULL
ORDER BY carrier, tracking_number
