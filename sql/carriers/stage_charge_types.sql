-- The charge types the loaded invoices bill, each with whether the file states it an adjustment (UPS
-- category ADJ; otherwise the seed's name rule decides): the pair charges and the freight names.
SELECT p.d AS name, bool_or(p.adjustment) AS adjustment
FROM carrier_stage_pairs AS p
JOIN carrier_stage_rows AS r USING (n)
JOIN carrier_stage_loaded AS l USING (invoice_number)
WHERE r.mps_role IS DISTINCT FROM 'header'
GROUP BY p.d
UNION ALL
SELECT DISTINCT r.freight_name, false
FROM carrier_stage_rows AS r
JOIN carrier_stage_loaded AS l USING (invoice_number)
WHERE r.freight IS NOT NULL AND NOT r.invoice_level AND r.mps_role IS DISTINCT FROM 'header'
