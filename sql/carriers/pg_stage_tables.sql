-- PostgreSQL's side of the stage: the shipments' attributes DuckDB computed arrive here by COPY (to be
-- merged; the charges go by COPY straight into their tables), dropped at commit.
CREATE TEMP TABLE carrier_stage_attributes (
    tracking_number VARCHAR(40), service VARCHAR(100), ship_date DATE, actual_weight_lb NUMERIC(12, 1),
    rated_weight_lb NUMERIC(12, 1), length_in NUMERIC(12, 2), width_in NUMERIC(12, 2),
    height_in NUMERIC(12, 2), dim_divisor INTEGER, mps_role VARCHAR(10), lead_tracking_number VARCHAR(40),
    first_invoice_number VARCHAR(40)
) ON COMMIT DROP;
