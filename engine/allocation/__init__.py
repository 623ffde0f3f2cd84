"""Stores desk: T-1 stock allocation and pick lists (seed 001, DOMAIN "Allocation")."""
