"""The finance desk (seed 002): invoices that arrive by e-mail, read, matched to a vendor, enriched
with its GL code and routed to AP; unknown vendors wait for finance."""
