"""SAP stock snapshots: the T-1 stock per SKU that allocation draws from."""
