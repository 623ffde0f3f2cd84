-- The carrier accounts the bills name: the dashboard's account filter offers these.
SELECT DISTINCT carrier, account FROM carrier_bill ORDER BY carrier, account
