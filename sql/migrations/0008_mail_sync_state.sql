-- Where a mail source stopped reading (issue 8 §1): Graph's @odata.deltaLink per mailbox, saved only
-- after a poll took every message it was given, so the next poll asks for changes since then. A lost
-- or expired link costs one full sync; the processed-message ledger (mail_message) answers replays.
CREATE TABLE mail_sync_state (
    source VARCHAR(20) NOT NULL,
    mailbox VARCHAR(320) NOT NULL,
    delta_link TEXT NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (source, mailbox)
);
