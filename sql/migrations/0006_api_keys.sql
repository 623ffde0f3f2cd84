-- API keys of the integration API (issue 10): one per integration (the nesting software, a Power
-- Automate flow), bound to roles of the same permission table as people. Only a SHA-256 digest of
-- the secret is kept (the secret is 256 random bits, so a plain digest is as strong as a slow hash
-- and costs nothing per request); the key is shown once, when it is created.
CREATE TABLE api_key (
    key_id VARCHAR(26) PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    secret_hash VARCHAR(64) NOT NULL,
    roles VARCHAR(200) NOT NULL,
    created_by VARCHAR(254) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_on DATE,
    last_used_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE,
    revoked_by VARCHAR(254)
);
