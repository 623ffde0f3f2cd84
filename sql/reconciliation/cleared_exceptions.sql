-- The open exceptions of packages whose status is no longer the one they were raised for: the run
-- resolves them with a system note.
SELECT e.exception_id, e.status, e.assigned_to, e.version, o.carrier, o.tracking_number,
    o.status AS now_status
FROM recon_outcome AS o
JOIN exception_log AS e ON e.exception_id = o.prior_exception_id
WHERE o.in_prior
    AND o.status <> o.prior_status
    AND e.status IN ('OPEN', 'ACKNOWLEDGED')
ORDER BY e.exception_id
