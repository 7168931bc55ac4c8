"""The owners' search index (``partners_searchentry``): for every owner of a partner in an own
company, the search text of that partner and of each of its contacts. Written only by the
triggers below, inside the writing transaction, so it is never stale.

Why it exists: the search box of a user who sees partners by hierarchy must test the search
text of every partner and contact the user may see. Read through the records themselves, a
rep's 2,400 partners and 5,500 contacts are thousands of scattered heap reads (the contacts'
"pann" took 90 ms: the planner chose the trigram index, which matches 28,000 contacts
company-wide). Here they are one index range per owner of the user's team: the key is
(company, owner, kind, record) and the index carries the text, so the test reads nothing else.

One row per owner, not per viewer (as ``crm_visibility`` has): a team lead's search reads the
ranges of the owners below them, so a change in the supervisor hierarchy touches nothing here,
and the table holds about as many rows as there are owner rows and their partners' contacts.

Every write also appends the (company, owner) pairs whose rows it changed to
``partners_searchchange`` (an append-only log: concurrent writers never wait for each other
there). A worker keeps the texts of the owners it searched in memory (``partners.search_texts``)
and reads the latest change of each owner before it uses them, so it reloads an owner's texts
only after they changed. ``prune_search_changes`` drops all but each owner's latest entry.

It only accelerates: the search box reads the matching records through the visibility index
again (``partners.search``), and tests compare its answers with the rule's for every persona.
"""

import pgtrigger

PARTNER = 1
CONTACT = 2

CHANGES = """
CREATE TABLE partners_searchchange (
    id bigserial PRIMARY KEY,
    company_id bigint NOT NULL,
    owner_id bigint NOT NULL
);
CREATE INDEX partners_searchchange_owner ON partners_searchchange (company_id, owner_id, id);
"""

# Appends the (company, owner) pairs of the rows a statement wrote (the CTE "written") to the log.
_LOG = """
    INSERT INTO partners_searchchange (company_id, owner_id)
    SELECT DISTINCT company_id, owner_id FROM written;
"""  # noqa: S608 - constant SQL, no user input

TABLE = f"""
CREATE TABLE partners_searchentry (
    company_id bigint NOT NULL,
    owner_id bigint NOT NULL,
    kind smallint NOT NULL CHECK (kind IN ({PARTNER}, {CONTACT})),
    record_id bigint NOT NULL,
    search_text text NOT NULL,
    PRIMARY KEY (company_id, owner_id, kind, record_id) INCLUDE (search_text)
);
"""

# Everything from the records (the migration that adds the table, and manage.py
# rebuild_visibility as a repair).
REBUILD = f"""
INSERT INTO partners_searchchange (company_id, owner_id)
SELECT DISTINCT company_id, owner_id FROM partners_searchentry;
DELETE FROM partners_searchentry;
INSERT INTO partners_searchentry (company_id, owner_id, kind, record_id, search_text)
SELECT w.company_id, w.user_id, {PARTNER}, p.id, coalesce(p.search_text, '')
FROM partners_partnerowner w JOIN partners_partner p ON p.id = w.partner_id;
INSERT INTO partners_searchentry (company_id, owner_id, kind, record_id, search_text)
SELECT w.company_id, w.user_id, {CONTACT}, c.id, coalesce(c.search_text, '')
FROM partners_partnerowner w JOIN partners_contact c ON c.partner_id = w.partner_id;
INSERT INTO partners_searchchange (company_id, owner_id)
SELECT DISTINCT company_id, owner_id FROM partners_searchentry;
"""  # noqa: S608 - constant SQL, no user input

# All but each owner's latest change (partners.tasks.prune_search_changes).
PRUNE = """
DELETE FROM partners_searchchange c
USING (SELECT company_id, owner_id, max(id) AS latest FROM partners_searchchange
       GROUP BY company_id, owner_id) k
WHERE c.company_id = k.company_id AND c.owner_id = k.owner_id AND c.id < k.latest
"""

_REFERENCING = {
    pgtrigger.Insert: pgtrigger.Referencing(new="new_rows"),
    pgtrigger.Update: pgtrigger.Referencing(old="old_rows", new="new_rows"),
    pgtrigger.Delete: pgtrigger.Referencing(old="old_rows"),
}


def _after(name: str, operation, *writes: str) -> pgtrigger.Trigger:
    """A statement-level AFTER trigger that runs ``writes`` (each an INSERT, UPDATE or DELETE
    of partners_searchentry returning the company and owner of the rows it wrote) and logs
    those owners in partners_searchchange."""
    body = "".join(
        f"WITH written AS ({write} RETURNING e.company_id, e.owner_id){_LOG}" for write in writes
    )
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=_REFERENCING[operation],
        func=body + "RETURN NULL;",
    )


_INSERT = (
    "INSERT INTO partners_searchentry AS e (company_id, owner_id, kind, record_id, search_text)"
)

# The rows of the owners in old_rows / new_rows (partners_partnerowner): the partner's and its
# contacts'. A contact deleted in the same transaction took its own rows with it (below).
OWNER_TRIGGERS = [
    _after(
        "search_entries_ins",
        pgtrigger.Insert,
        f"""{_INSERT}
        SELECT n.company_id, n.user_id, {PARTNER}, p.id, coalesce(p.search_text, '')
        FROM new_rows n JOIN partners_partner p ON p.id = n.partner_id
        UNION ALL
        SELECT n.company_id, n.user_id, {CONTACT}, c.id, coalesce(c.search_text, '')
        FROM new_rows n JOIN partners_contact c ON c.partner_id = n.partner_id
        ON CONFLICT DO NOTHING""",  # noqa: S608 - constant SQL, no user input
    ),
    _after(
        "search_entries_del",
        pgtrigger.Delete,
        f"""DELETE FROM partners_searchentry e USING old_rows o
        WHERE e.company_id = o.company_id AND e.owner_id = o.user_id
          AND e.kind = {PARTNER} AND e.record_id = o.partner_id""",  # noqa: S608 - constant SQL, no user input
        f"""DELETE FROM partners_searchentry e
        USING old_rows o JOIN partners_contact c ON c.partner_id = o.partner_id
        WHERE e.company_id = o.company_id AND e.owner_id = o.user_id
          AND e.kind = {CONTACT} AND e.record_id = c.id""",  # noqa: S608 - constant SQL, no user input
    ),
]

# A partner's new search text (name, short name, tax number) reaches its owners' rows.
PARTNER_TRIGGER = _after(
    "search_entries",
    pgtrigger.Update,
    f"""UPDATE partners_searchentry e SET search_text = coalesce(n.search_text, '')
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    JOIN partners_partnerowner w ON w.partner_id = n.id
    WHERE n.search_text IS DISTINCT FROM o.search_text
      AND e.company_id = w.company_id AND e.owner_id = w.user_id
      AND e.kind = {PARTNER} AND e.record_id = n.id""",  # noqa: S608 - constant SQL, no user input
)

# A contact's rows follow it: one per owner of its partner; moved to another partner, it
# leaves the old owners' ranges for the new ones'.
CONTACT_TRIGGERS = [
    _after(
        "search_entries_ins",
        pgtrigger.Insert,
        f"""{_INSERT}
        SELECT w.company_id, w.user_id, {CONTACT}, n.id, coalesce(n.search_text, '')
        FROM new_rows n JOIN partners_partnerowner w ON w.partner_id = n.partner_id
        ON CONFLICT DO NOTHING""",  # noqa: S608 - constant SQL, no user input
    ),
    _after(
        "search_entries_upd",
        pgtrigger.Update,
        f"""DELETE FROM partners_searchentry e
        USING old_rows o JOIN new_rows n ON n.id = o.id
        JOIN partners_partnerowner w ON w.partner_id = o.partner_id
        WHERE n.partner_id IS DISTINCT FROM o.partner_id
          AND e.company_id = w.company_id AND e.owner_id = w.user_id
          AND e.kind = {CONTACT} AND e.record_id = o.id""",  # noqa: S608 - constant SQL, no user input
        f"""{_INSERT}
        SELECT w.company_id, w.user_id, {CONTACT}, n.id, coalesce(n.search_text, '')
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN partners_partnerowner w ON w.partner_id = n.partner_id
        WHERE n.partner_id IS DISTINCT FROM o.partner_id
           OR n.search_text IS DISTINCT FROM o.search_text
        ON CONFLICT (company_id, owner_id, kind, record_id)
        DO UPDATE SET search_text = EXCLUDED.search_text""",  # noqa: S608 - constant SQL, no user input
    ),
    _after(
        "search_entries_del",
        pgtrigger.Delete,
        f"""DELETE FROM partners_searchentry e
        USING old_rows o JOIN partners_partnerowner w ON w.partner_id = o.partner_id
        WHERE e.company_id = w.company_id AND e.owner_id = w.user_id
          AND e.kind = {CONTACT} AND e.record_id = o.id""",  # noqa: S608 - constant SQL, no user input
    ),
]
