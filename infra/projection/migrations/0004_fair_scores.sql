-- A side that is not assessed (不参评) has no score: scorecard_published version 2 publishes
-- null, never 0 or 100. The combined score is null when neither side is assessed.
ALTER TABLE scorecards
    ALTER COLUMN origin_score DROP NOT NULL,
    ALTER COLUMN destination_score DROP NOT NULL,
    ALTER COLUMN combined_score DROP NOT NULL;

-- Agreement coverage by direction (agreement_coverage_published version 2): a county's
-- outflows (flows leaving it: its side as origin) and inflows (arriving: as destination).
-- NULL for the region's scope, and for figures published before directions were counted.
ALTER TABLE coverage
    ADD COLUMN outflows integer,
    ADD COLUMN outflows_covered integer,
    ADD COLUMN inflows integer,
    ADD COLUMN inflows_covered integer;

CREATE OR REPLACE VIEW coverage_totals AS
    SELECT period, scope, sum(flows)::bigint AS flows, sum(covered)::bigint AS covered,
           sum(outflows)::bigint AS outflows, sum(outflows_covered)::bigint AS outflows_covered,
           sum(inflows)::bigint AS inflows, sum(inflows_covered)::bigint AS inflows_covered
    FROM coverage GROUP BY period, scope;
