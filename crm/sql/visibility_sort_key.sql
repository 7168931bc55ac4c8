-- A list's default order inside the visibility index: the owning app may write each entry's
-- `sort_key` (partners: the partner's name), so that the first page of a user's records in
-- that order is one ordered range of the index below, whatever the size of the user's scope.
-- Entries without a key (tables that do not use it) stay out of the index.
ALTER TABLE crm_visibility ADD COLUMN IF NOT EXISTS sort_key text COLLATE "hu-x-icu";

-- Hierarchy changes copy the owners' own entries to the people above them: with their keys.
CREATE OR REPLACE FUNCTION crm_visibility_refresh(owners bigint[], viewers bigint[])
RETURNS void LANGUAGE sql AS $$
    WITH pairs AS MATERIALIZED (SELECT * FROM crm_viewer_pairs(owners))
    DELETE FROM crm_visibility v
    WHERE v.viewer_id = ANY (viewers) AND v.owner_id = ANY (owners)
      AND v.viewer_id <> v.owner_id
      AND NOT EXISTS (SELECT 1 FROM pairs p
                      WHERE p.owner_id = v.owner_id AND p.viewer_id = v.viewer_id);
    INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id, sort_key)
    SELECT p.viewer_id, s.tab, s.company_id, s.record_id, s.owner_id, s.sort_key
    FROM crm_viewer_pairs(owners) p
    JOIN crm_visibility s ON s.viewer_id = p.owner_id AND s.owner_id = p.owner_id
    WHERE p.viewer_id <> p.owner_id AND p.viewer_id = ANY (viewers)
    ON CONFLICT DO NOTHING;
$$;
