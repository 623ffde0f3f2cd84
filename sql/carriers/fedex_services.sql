-- The services the loaded invoices name.
SELECT DISTINCT r.service
FROM carrier_stage_rows AS r
JOIN carrier_stage_loaded AS l USING (invoice_number)
WHERE r.service IS NOT NULL
