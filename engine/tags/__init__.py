"""Sales desk: tag sheets uploaded against customer LPOs (seed 000, DOMAIN "Tags")."""
