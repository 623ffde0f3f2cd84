"""Customer LPOs: the PO quantities tags are checked against."""
