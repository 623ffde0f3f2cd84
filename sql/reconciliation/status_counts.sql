-- Packages per status of this run (recorded on the run row).
SELECT status, COUNT(*) AS packages
FROM recon_outcome
GROUP BY status
