-- The visibility index: one row for every (viewer, record) pair that the supervisor hierarchy
-- allows, for every scoped table. It lets a supervisor's list page be one ordered index scan
-- (viewer, table, company, record DESC), as cheap as the unscoped page, at any team size.
-- Kept by statement-level triggers on the scoped tables and on crm_supervisorlink, inside the
-- writing transaction, so it is never stale. crm.scoping.visible_to stays the rule itself;
-- this table only accelerates keyset pages, and a test checks that both always agree.

CREATE TABLE crm_visibility (
    viewer_id bigint NOT NULL,
    tab bigint NOT NULL,          -- the scoped table's oid (TG_RELID)
    company_id bigint NOT NULL,
    record_id bigint NOT NULL,
    owner_id bigint NOT NULL,
    -- A record with several owners (a partner) has one entry per owner the viewer sees it by.
    PRIMARY KEY (viewer_id, tab, company_id, record_id, owner_id)
);
CREATE INDEX crm_visibility_record ON crm_visibility (tab, record_id);
CREATE INDEX crm_visibility_viewer_owner ON crm_visibility (viewer_id, owner_id);

-- (owner, viewer) pairs: every owner with themselves and everybody above them, at any depth.
-- UNION stops at pairs already seen, so even a damaged graph with a cycle cannot loop.
CREATE FUNCTION crm_viewer_pairs(owners bigint[])
RETURNS TABLE (owner_id bigint, viewer_id bigint) LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up(owner_id, viewer_id) AS (
        SELECT o, o FROM unnest(owners) AS o
        UNION
        SELECT up.owner_id, l.supervisor_id
        FROM up JOIN crm_supervisorlink l ON l.user_id = up.viewer_id
    )
    SELECT up.owner_id, up.viewer_id FROM up
$$;

-- After a hierarchy change: re-derives which of `viewers` see the records of `owners`.
-- The owners' own rows (viewer = owner) list their records and are left alone.
CREATE FUNCTION crm_visibility_refresh(owners bigint[], viewers bigint[])
RETURNS void LANGUAGE sql AS $$
    WITH pairs AS MATERIALIZED (SELECT * FROM crm_viewer_pairs(owners))
    DELETE FROM crm_visibility v
    WHERE v.viewer_id = ANY (viewers) AND v.owner_id = ANY (owners)
      AND v.viewer_id <> v.owner_id
      AND NOT EXISTS (SELECT 1 FROM pairs p
                      WHERE p.owner_id = v.owner_id AND p.viewer_id = v.viewer_id);
    INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id)
    SELECT p.viewer_id, s.tab, s.company_id, s.record_id, s.owner_id
    FROM crm_viewer_pairs(owners) p
    JOIN crm_visibility s ON s.viewer_id = p.owner_id AND s.owner_id = p.owner_id
    WHERE p.viewer_id <> p.owner_id AND p.viewer_id = ANY (viewers)
    ON CONFLICT DO NOTHING;
$$;

-- A supervisor link was added, removed or changed: the people below the link's user and the
-- people above its supervisor are the only pairs that can change.
CREATE FUNCTION crm_visibility_links_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    below bigint[];
    above bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(user_id), array_agg(supervisor_id) INTO below, above FROM new_links;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(user_id), array_agg(supervisor_id) INTO below, above FROM old_links;
    ELSE
        SELECT array_agg(user_id), array_agg(supervisor_id) INTO below, above
        FROM (SELECT user_id, supervisor_id FROM new_links
              UNION SELECT user_id, supervisor_id FROM old_links) changed;
    END IF;
    IF below IS NULL THEN
        RETURN NULL;
    END IF;
    WITH RECURSIVE down(id) AS (
        SELECT unnest(below)
        UNION
        SELECT l.user_id FROM crm_supervisorlink l JOIN down d ON l.supervisor_id = d.id
    )
    SELECT array_agg(id) INTO below FROM down;
    SELECT array_agg(DISTINCT viewer_id) INTO above FROM crm_viewer_pairs(above);
    PERFORM crm_visibility_refresh(below, above);
    RETURN NULL;
END
$$;

CREATE TRIGGER crm_visibility_links_ins AFTER INSERT ON crm_supervisorlink
    REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION crm_visibility_links_changed();
CREATE TRIGGER crm_visibility_links_del AFTER DELETE ON crm_supervisorlink
    REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION crm_visibility_links_changed();
CREATE TRIGGER crm_visibility_links_upd AFTER UPDATE ON crm_supervisorlink
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION crm_visibility_links_changed();

-- Rebuilds the rows of one scoped table from scratch (after adding the triggers to a table
-- that already has rows, or as a repair: manage.py rebuild_visibility).
CREATE FUNCTION crm_visibility_rebuild(target regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    written bigint;
BEGIN
    DELETE FROM crm_visibility WHERE tab = target::oid::bigint;
    EXECUTE format(
        'INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id)
         SELECT p.viewer_id, %s, r.company_id, r.id, r.owner_id
         FROM %s r
         JOIN crm_viewer_pairs(ARRAY(SELECT DISTINCT owner_id FROM %s)) p
           ON p.owner_id = r.owner_id', target::oid::bigint, target, target);
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;
