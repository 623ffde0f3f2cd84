"""Stores desk: nesting description → canonical material → SAP SKU (seed 001, DOMAIN "Material mapping")."""
