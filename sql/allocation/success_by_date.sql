-- Allocation outcome per production date over the current (not superseded) line results.
SELECT run_date,
       COALESCE(SUM(CASE WHEN status = 'ALLOCATED' THEN 1 ELSE 0 END), 0) AS allocated,
       COALESCE(SUM(CASE WHEN status = 'PARTIAL' THEN 1 ELSE 0 END), 0) AS partial,
       COALESCE(SUM(CASE WHEN status = 'UNALLOCATED' THEN 1 ELSE 0 END), 0) AS unallocated,
       COALESCE(SUM(CASE WHEN status = 'SKIPPED' THEN 1 ELSE 0 END), 0) AS skipped
FROM allocation_line
WHERE superseded = FALSE
GROUP BY run_date
ORDER BY run_date
