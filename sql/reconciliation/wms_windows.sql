-- The WMS coverage window of each carrier: its earliest to latest WMS ship date. A billed package
-- missing from WMS counts as BILLED_NOT_SHIPPED only when its ship date lies inside it.
SELECT carrier, MIN(ship_date) AS first_day, MAX(ship_date) AS last_day
FROM wms_shipment
GROUP BY carrier
