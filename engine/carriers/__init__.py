"""Carrier bills (issue 9, seed 003): layouts as data, the contract check, and the load into the
unified shipment layer (``shipment_attributes``, ``shipment_charges``, ``invoice_charges``)."""
