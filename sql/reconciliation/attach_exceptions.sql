-- The exceptions raised for this run's findings (recon_raised), onto the staged outcomes.
UPDATE recon_outcome
SET exception_id = r.exception_id
FROM recon_raised AS r
WHERE recon_outcome.carrier = r.carrier
    AND recon_outcome.tracking_number = r.tracking_number
