"""WMS shipment exports (issue 9 §2): one row per shipped package, the expected side of reconciliation."""
