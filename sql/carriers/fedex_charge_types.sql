-- The charge types the loaded invoices bill (FedEx's freight is always "Transportation Charge").
SELECT DISTINCT p.d
FROM carrier_stage_pairs AS p
JOIN carrier_stage_rows AS r USING (n)
JOIN carrier_stage_loaded AS l USING (invoice_number)
WHERE r.mps_role IS DISTINCT FROM 'header'
