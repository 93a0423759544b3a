-- The read models the projector keeps, and the Kafka positions they reflect.
-- Every row here is a function of the log alone: no column reads the wall clock, so a
-- rebuild from the same log gives the same rows (schema_migrations.applied_at aside).

-- Append-only archive of every validated and derived event, once per event id. A broadcast
-- event (one copy per partition) keeps the lowest (partition, offset) of its copies, so the
-- archive does not depend on the order in which partitions were read.
CREATE TABLE events (
    event_id        uuid PRIMARY KEY,
    topic           text        NOT NULL,
    partition       integer     NOT NULL,
    "offset"        bigint      NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    source_county   text        NOT NULL,
    publisher_id    text        NOT NULL,
    correlation_id  uuid        NOT NULL,
    causation_id    uuid,
    person_key      text,
    payload         jsonb       NOT NULL,  -- the JSON object as received (what was signed)
    UNIQUE (topic, partition, "offset")
);
CREATE INDEX events_person_idx ON events (person_key, occurred_at) WHERE person_key IS NOT NULL;
CREATE INDEX events_correlation_idx ON events (correlation_id);
CREATE INDEX events_causation_idx ON events (causation_id) WHERE causation_id IS NOT NULL;
CREATE INDEX events_occurred_idx ON events (occurred_at);
CREATE INDEX events_type_idx ON events (event_type, occurred_at);

CREATE TABLE counties (
    code           text PRIMARY KEY,
    name           text        NOT NULL,
    public_key     text        NOT NULL,
    registered_at  timestamptz NOT NULL,
    event_id       uuid        NOT NULL
);

CREATE TABLE publishers (
    publisher_id   text PRIMARY KEY,
    county         text        NOT NULL,
    role           text        NOT NULL,
    public_key     text        NOT NULL,
    event_types    text[]      NOT NULL,
    stationed_in   text,
    registered_at  timestamptz NOT NULL,
    event_id       uuid        NOT NULL
);
CREATE INDEX publishers_county_idx ON publishers (county);

CREATE TABLE agreements (
    agreement_id    text PRIMARY KEY,
    origin          text        NOT NULL,
    destination     text        NOT NULL,
    effective_from  timestamptz NOT NULL,
    effective_to    timestamptz,
    terms           jsonb       NOT NULL,
    signed_at       timestamptz NOT NULL,
    amended_at      timestamptz,          -- effective_from of the latest amendment
    revoked_at      timestamptz,          -- effective_at of the revocation
    last_event_id   uuid        NOT NULL
);
CREATE INDEX agreements_pair_idx ON agreements (origin, destination);

-- Pseudonymous keys only: the person key is the county node's keyed hash of the ID number.
CREATE TABLE persons (
    person_key         text PRIMARY KEY,
    first_seen         timestamptz NOT NULL,
    last_seen          timestamptz NOT NULL,
    current_county     text,
    current_county_at  timestamptz          -- occurred_at of the event that set current_county
);
CREATE INDEX persons_county_idx ON persons (current_county);

-- kind, counterpart_county, opened_at, due_at, remind_at and escalate_at are NULL only on a
-- placeholder: a row a lifecycle update created before its obligation_opened was seen.
CREATE TABLE obligations (
    obligation_id       text PRIMARY KEY,
    person_key          text        NOT NULL,
    kind                text,
    responsible_county  text        NOT NULL,
    counterpart_county  text,
    opened_at           timestamptz,
    due_at              timestamptz,
    remind_at           timestamptz,
    escalate_at         timestamptz,
    urgent              boolean,
    agreement_id        text,
    state               text        NOT NULL
        CHECK (state IN ('opened', 'reminded', 'fulfilled', 'breached', 'escalated', 'cancelled')),
    reminded_at         timestamptz,
    fulfilled_at        timestamptz,
    fulfilled_by        text,
    late                boolean,
    breached_at         timestamptz,
    escalated_at        timestamptz,
    escalated_to        text,
    cancelled_at        timestamptz,
    cancel_reason       text,
    last_event_id       uuid        NOT NULL
);
CREATE INDEX obligations_person_idx ON obligations (person_key);
CREATE INDEX obligations_responsible_idx ON obligations (responsible_county, state);
CREATE INDEX obligations_due_idx ON obligations (due_at) WHERE state IN ('opened', 'reminded');

CREATE TABLE alerts (
    alert_id   text PRIMARY KEY,
    kind       text        NOT NULL,
    counties   text[]      NOT NULL,
    period     text        NOT NULL,
    detail     text        NOT NULL,
    raised_at  timestamptz NOT NULL,
    event_id   uuid        NOT NULL
);
CREATE INDEX alerts_period_idx ON alerts (period);

-- Agreement coverage as each agent partition last published it, per period and scope
-- ("region" or a county code); coverage_totals sums the partitions (the headline figure).
CREATE TABLE coverage (
    period           text,
    agent_partition  integer,
    scope            text,
    flows            integer     NOT NULL,
    covered          integer     NOT NULL,
    published_at     timestamptz NOT NULL,
    event_id         uuid        NOT NULL,
    PRIMARY KEY (period, agent_partition, scope)
);
CREATE VIEW coverage_totals AS
    SELECT period, scope, sum(flows)::bigint AS flows, sum(covered)::bigint AS covered
    FROM coverage GROUP BY period, scope;

-- Every revision of every scorecard; payload holds the indicators.
CREATE TABLE scorecards (
    county             text,
    period             text,
    revision           integer,
    reason             text             NOT NULL,
    origin_score       double precision NOT NULL,
    destination_score  double precision NOT NULL,
    combined_score     double precision NOT NULL,
    payload            jsonb            NOT NULL,
    published_at       timestamptz      NOT NULL,
    event_id           uuid             NOT NULL,
    PRIMARY KEY (county, period, revision)
);

CREATE TABLE campaigns (
    campaign_id   text PRIMARY KEY,
    counties      text[]      NOT NULL,
    period_start  timestamptz NOT NULL,
    period_end    timestamptz NOT NULL,
    deadline      timestamptz NOT NULL,
    checks        text[]      NOT NULL,
    opened_at     timestamptz NOT NULL,
    state         text        NOT NULL CHECK (state IN ('open', 'closed')),
    closed_at     timestamptz,
    closed_early  boolean
);

-- A task's assignment (obligations topic) and its result (validated topic) may be read in
-- either order: whichever comes first inserts the row, the other fills in its columns.
CREATE TABLE campaign_tasks (
    task_id       text PRIMARY KEY,
    campaign_id   text,
    person_key    text        NOT NULL,
    "check"       text,
    assignee      text,
    due_at        timestamptz,
    assigned_at   timestamptz,
    result        text,
    moved_to      text,
    duplicate_of  text,
    reported_at   timestamptz,
    state         text        NOT NULL CHECK (state IN ('assigned', 'reported'))
);
CREATE INDEX campaign_tasks_campaign_idx ON campaign_tasks (campaign_id, state);
CREATE INDEX campaign_tasks_assignee_idx ON campaign_tasks (assignee, state);

-- Refused input: what the gate dead-lettered (detected_by 'gate'), and messages on the
-- projected topics the projector itself could not decode (detected_by 'projector').
CREATE TABLE dead_letters (
    event_id          uuid PRIMARY KEY,
    reason_code       text        NOT NULL,
    reason            text        NOT NULL,
    raw               bytea       NOT NULL,
    source_topic      text        NOT NULL,
    source_partition  integer     NOT NULL,
    source_offset     bigint      NOT NULL,
    occurred_at       timestamptz NOT NULL,
    detected_by       text        NOT NULL CHECK (detected_by IN ('gate', 'projector'))
);
CREATE INDEX dead_letters_reason_idx ON dead_letters (reason_code);

-- The next offset to read per partition, written in the same transaction as the rows.
CREATE TABLE projection_offsets (
    topic        text,
    partition    integer,
    next_offset  bigint NOT NULL CHECK (next_offset >= 0),
    PRIMARY KEY (topic, partition)
);

-- The archive is append-only: no delete, and an update may only move an event to a lower
-- position of one of its own copies (see events above).
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'events is append-only: cannot delete event %', OLD.event_id;
    END IF;
    IF (NEW.event_id, NEW.topic, NEW.event_type, NEW.payload)
        IS DISTINCT FROM (OLD.event_id, OLD.topic, OLD.event_type, OLD.payload)
       OR (NEW.partition, NEW."offset") >= (OLD.partition, OLD."offset") THEN
        RAISE EXCEPTION 'events is append-only: event % may only move to a lower copy',
            OLD.event_id;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
