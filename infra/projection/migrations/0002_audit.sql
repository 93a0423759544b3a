-- Reads of personal data through `liudong audit`, and indexes the audit queries need.
-- Unlike the read models of 0001, audit_log is not a function of the log: it records what
-- operators read and when (wall clock), and a rebuild of the projection must keep it.

CREATE TABLE audit_log (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    read_id        uuid        NOT NULL UNIQUE,
    read_at        timestamptz NOT NULL DEFAULT now(),
    operator       text        NOT NULL CHECK (operator <> ''),
    command        text        NOT NULL,
    subject_kind   text        NOT NULL CHECK (subject_kind IN ('person', 'county')),
    subject        text        NOT NULL,  -- a person key (never a raw ID number) or a county
    period         text,
    as_of          timestamptz,
    rows_returned  integer     NOT NULL CHECK (rows_returned >= 0)
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_kind, subject, read_at);
CREATE INDEX audit_log_operator_idx ON audit_log (operator, read_at);

-- The audit log is append-only: no update, no delete.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: cannot % read %', lower(TG_OP), OLD.read_id;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- An obligation's lifecycle events in the archive (audit county: each obligation's causes).
CREATE INDEX events_obligation_idx ON events ((payload->>'obligation_id'));
