-- PostgreSQL's side of the stage: the outputs DuckDB computed arrive here by COPY, dropped at commit.
CREATE TEMP TABLE carrier_stage_charges (
    charge_id VARCHAR(26), tracking_number VARCHAR(40), invoice_number VARCHAR(40), invoice_date DATE,
    file_row INTEGER, charge_type VARCHAR(200), amount NUMERIC(18, 2), is_freight BOOLEAN,
    rated_weight_lb NUMERIC(12, 1), dim_divisor INTEGER
) ON COMMIT DROP;
CREATE TEMP TABLE carrier_stage_levels (
    charge_id VARCHAR(26), invoice_number VARCHAR(40), file_row INTEGER, reference VARCHAR(40),
    charge_type VARCHAR(200), amount NUMERIC(18, 2)
) ON COMMIT DROP;
CREATE TEMP TABLE carrier_stage_attributes (
    tracking_number VARCHAR(40), service VARCHAR(100), ship_date DATE, actual_weight_lb NUMERIC(12, 1),
    rated_weight_lb NUMERIC(12, 1), length_in NUMERIC(12, 2), width_in NUMERIC(12, 2),
    height_in NUMERIC(12, 2), dim_divisor INTEGER, mps_role VARCHAR(10), lead_tracking_number VARCHAR(40),
    first_invoice_number VARCHAR(40)
) ON COMMIT DROP;
