-- One snapshot with its totals (only unrestricted stock is ever allocated).
SELECT s.snapshot_id, s.snapshot_date, s.row_count AS rows, COUNT(DISTINCT l.sap_code) AS skus,
       COALESCE(SUM(l.unrestricted_qty), 0) AS unrestricted_total,
       COALESCE(SUM(l.quality_inspection_qty), 0) AS quality_inspection_total,
       COALESCE(SUM(l.blocked_qty), 0) AS blocked_total,
       s.loaded_by, s.loaded_at, s.trace_id, s.file_id
FROM stock_snapshot s
LEFT JOIN stock_level l ON l.snapshot_id = s.snapshot_id
WHERE s.snapshot_id = :snapshot_id
GROUP BY s.snapshot_id, s.snapshot_date, s.row_count, s.loaded_by, s.loaded_at, s.trace_id, s.file_id
