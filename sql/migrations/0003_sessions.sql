-- Sessions and identities (issue 6, security): single sign-on identities bound to an account, and
-- session-cookie grants bound to the browser that asked for them.

-- An account's identity at the identity provider: the issuer and its stable subject (`oid` for
-- Entra ID, else `sub`). The key makes one subject belong to one account; one row per account.
CREATE TABLE user_identity (
    issuer VARCHAR(500) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    email VARCHAR(254) NOT NULL UNIQUE,
    bound_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (issuer, subject)
);

-- A short-lived, single-use grant of a session cookie, redeemable only by the browser that holds
-- the binding cookie it was issued for (stored as a SHA-256 digest of the binding value). It
-- replaces the one-time codes that travelled in the cookie route's URL.
CREATE TABLE session_grant (
    grant_id VARCHAR(26) PRIMARY KEY,
    binding_hash VARCHAR(64) NOT NULL,
    session_id VARCHAR(64) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX ix_session_grant_binding ON session_grant (binding_hash);

DROP TABLE sign_in_code;
