-- Reconciliation settings editable by admins (issue 9 §3): cost tolerance bands, weight tolerance,
-- grace days, the default DIM divisor and per-carrier divisors. One row (settings_id = 1) once an
-- admin has saved them; until then a run uses the environment's settings and DOMAIN's default bands.
-- Bands and per-carrier divisors are short lists, kept as JSON text like reconciliation_run.settings.
CREATE TABLE reconciliation_settings (
    settings_id INTEGER PRIMARY KEY,
    weight_tolerance_lb NUMERIC(12, 2) NOT NULL,
    grace_days INTEGER NOT NULL,
    dim_divisor INTEGER NOT NULL,
    cost_bands TEXT NOT NULL,
    carrier_divisors TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_by VARCHAR(254) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);
