-- Helpers of the bill stage (DuckDB). Every amount stays a string until it is cast on purpose:
-- accounts and tracking ids keep their leading zeros, money is DECIMAL(18, 2), never a float.

-- Accounts compare without leading zeros ("000123456789" is "123456789").
CREATE OR REPLACE TEMP MACRO carrier_account(v) AS
    CASE WHEN v = '' THEN '' WHEN ltrim(v, '0') = '' THEN '0' ELSE ltrim(v, '0') END;

-- A money cell that is not a number, has more than two decimals (refused, never rounded) or does
-- not fit the ledger's DECIMAL(18, 2).
CREATE OR REPLACE TEMP MACRO carrier_money_bad(v) AS
    v <> '' AND (
        TRY_CAST(v AS DECIMAL(38, 10)) IS NULL
        OR TRY_CAST(v AS DECIMAL(38, 10)) <> TRY_CAST(TRY_CAST(v AS DECIMAL(38, 10)) AS DECIMAL(38, 2))
        OR abs(TRY_CAST(v AS DECIMAL(38, 10))) >= 10000000000000000
    );

-- A weight or dimension: a non-negative number the ledger's columns hold (in pounds and inches).
CREATE OR REPLACE TEMP MACRO carrier_measure_bad(v) AS
    v <> '' AND coalesce(
        TRY_CAST(v AS DECIMAL(38, 10)) < 0 OR TRY_CAST(v AS DECIMAL(38, 10)) >= 1000000000, true
    );

-- A DIM divisor: a non-negative whole-number-sized value an INTEGER holds.
CREATE OR REPLACE TEMP MACRO carrier_divisor_bad(v) AS
    v <> '' AND coalesce(
        TRY_CAST(v AS DECIMAL(38, 10)) < 0 OR TRY_CAST(v AS DECIMAL(38, 10)) >= 2147483648, true
    );

-- Text longer than the ledger's column for it.
CREATE OR REPLACE TEMP MACRO carrier_too_long(v, n) AS
    length(v) > n;

-- A day that is not in the layout's format.
CREATE OR REPLACE TEMP MACRO carrier_day_bad(v, fmt) AS
    v <> '' AND try_strptime(v, fmt) IS NULL;

CREATE OR REPLACE TEMP MACRO carrier_money(v) AS
    CAST(NULLIF(v, '') AS DECIMAL(18, 2));

-- DOMAIN: kilograms × 2.20462, rounded up to 0.1 lb; pounds rounded up to 0.1 lb (kilograms: the
-- layout's names for them).
CREATE OR REPLACE TEMP MACRO carrier_pounds(v, units, kilograms) AS
    CASE WHEN v = '' THEN NULL ELSE
        CAST(CEIL(
            CAST(v AS DECIMAL(38, 10))
            * (CASE WHEN list_contains(kilograms, upper(units)) THEN 2.20462 ELSE 1 END) * 10
        ) AS DECIMAL(12, 1)) * 0.1
    END;

-- Centimetres (the layout's names for them) to inches, half up to 0.01 in.
CREATE OR REPLACE TEMP MACRO carrier_inches(v, unit, centimetres) AS
    CASE WHEN v = '' THEN NULL
         WHEN list_contains(centimetres, upper(unit)) THEN round(CAST(v AS DECIMAL(38, 10)) / 2.54, 2)
         ELSE round(CAST(v AS DECIMAL(38, 10)), 2)
    END;

-- One Crockford base-32 digit of v (position 0 = least significant).
CREATE OR REPLACE TEMP MACRO carrier_b32(v, k) AS
    substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(((v >> (5 * k)) & 31) AS INTEGER) + 1, 1);

-- A charge id shaped like a ULID: the file id's time and first random characters (16), then the
-- charge's place in the file (row × 64 + slot) in 10 base-32 digits. Unique within the file, and
-- sorting with the file.
CREATE OR REPLACE TEMP MACRO carrier_charge_id(prefix, row_number, slot) AS
    prefix
    || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 9) || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 8)
    || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 7) || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 6)
    || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 5) || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 4)
    || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 3) || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 2)
    || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 1) || carrier_b32(CAST(row_number AS BIGINT) * 64 + slot, 0);
