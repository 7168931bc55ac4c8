"""The global search: text normalisation shared with the search triggers' SQL
(``lower(unaccent(…))``, phones as bare digits), and the queries of the search box.

As one types, the box must answer in well under 100 ms at a million partners and two million
contacts, whatever the user's scope and whatever was typed. No single plan does that (measured
by bench/partners.py): "ORDER BY name LIMIT 8" walks the name index and tests every row, which
takes seconds when the matches sort late. So the matches come first:

- a user who sees partners by hierarchy, up to ``OWNED_SEARCH_SCOPE`` of them (a rep, a team
  lead), has the search texts of their team's partners and contacts read from the owners'
  search index (``partners.search_index``), kept in the worker's memory while they are current
  (``partners.search_texts``), and matched there; the first matches are read with the access
  check (``OWNED_PARTNERS_SQL``, ``OWNED_CONTACTS_SQL``, which adds the contacts whose
  responsible user is in the team);
- everybody else gets the names that *start* with the text (an ordered range of the prefix
  index, which holds the search text in byte order, ``COLLATE "C"``), then the names that
  match its words (below): at most ``CANDIDATES`` matches from the trigram index (a few when
  the user sees everything), then scoped; the first ``limit`` of those the user may see are
  shown, sorted by name.

What matches (``Query``): every word of the text, in any order, must match a word of the
record's search text; words are letters and digits, anything else (spaces, hyphens, dots, @)
separates them. A word of four characters or more may stand anywhere (``pannon`` finds
``Dél-Pannónia``), a shorter one must start a word (``kft`` finds ``… Kft.``, ``bt`` the
``Bt.`` of ``Mátra-Logisztikai Bt.``). Through the indexes every word is one condition of the
same statement (``LIKE '%word%'``, or the regular expression ``(^|[ !-/:-@[-`{-~])word``: the
start of the text, or a space or punctuation before the word), which the trigram index answers
together (its trigrams of a word's start, `` bt``, make even a two-letter word selective); in
the worker's memory the longest word finds the candidates and the others are checked on them.
A text whose words are all shorter than three characters (``b&b``) finds the records that
start with it, as before.
"""

import re
import unicodedata

from django.db.models import Q

from . import search_index
from .search_texts import WORD_BEFORE, word_start

PHONE_LIKE = re.compile(r"^[\d\s+()/-]{4,}$")
CANDIDATES = 1000
MIN_LENGTH = 3
CONTAINED_FROM = 4  # a word this long may stand anywhere; a shorter one must start a word
NOT_WORD = re.compile(r"[\W_]+")
# PostgreSQL's regular expression of a word's start (``partners.search_texts.word_start``)
WORD_START_SQL = f"(^|[{WORD_BEFORE}])"


def normalise(text: str) -> str:
    """``Kovács Ödön`` → ``kovacs odon``; something that looks like a phone number becomes its
    digits, with a domestic ``06`` prefix read as ``36`` (``06 30 123-4567`` →
    ``36301234567``), so a number typed any way finds the stored one."""
    text = (text or "").strip()
    if PHONE_LIKE.match(text):
        digits = re.sub(r"\D", "", text)
        return "36" + digits[2:] if digits.startswith("06") else digits
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(text.split())[:100]


class Query:
    """What was typed, read once: ``needle`` (``normalise``), its ``words`` and their
    conditions. ``key``: the longest word, which finds the candidates in the worker's memory;
    None when every word is shorter than ``MIN_LENGTH`` (only texts that start with
    ``needle`` match then). ``lead``: what the first answers start with."""

    def __init__(self, text: str):
        self.needle = normalise(text)
        self.words = [w for w in NOT_WORD.split(self.needle) if w]
        longest = max(self.words, key=len, default="")
        self.key = longest if len(longest) >= MIN_LENGTH else None
        self.lead = self.words[0] if self.key else self.needle
        self._checks = [
            (w, None if len(w) >= CONTAINED_FROM else word_start(w))
            for w in self.words
            if w != self.key
        ]

    def find_in(self, texts) -> list[tuple[str, int]]:
        """The matches among one owner's texts of one kind (``search_texts.Texts``)."""
        if self.key is None:
            return texts.find(self.needle, starting=True)
        found = texts.find(self.key, word=len(self.key) < CONTAINED_FROM)
        if self._checks:
            found = [(text, pk) for text, pk in found if self.matches(text)]
        return found

    def matches(self, text: str) -> bool:
        """Whether ``text`` has every word but the key (``find_in`` found that)."""
        return all(
            (word in text) if pattern is None else pattern.search(text) is not None
            for word, pattern in self._checks
        )

    def condition(self) -> Q:
        """The rule on ``search_text``, for the trigram index (every word at once)."""
        if self.key is None:
            return Q(search_text__startswith=self.needle)
        condition = Q()
        for word in self.words:
            if len(word) >= CONTAINED_FROM:
                condition &= Q(search_text__contains=word)
            else:  # a word is letters and digits only: nothing to escape
                condition &= Q(search_text__regex=WORD_START_SQL + word)
        return condition

    def patterns(self) -> list[str]:
        """The rule as PostgreSQL regular expressions, all of which must match."""
        if self.key is None:
            return ["^" + re.sub(r"([^\w\s])", r"\\\1", self.needle)]
        return [w if len(w) >= CONTAINED_FROM else WORD_START_SQL + w for w in self.words]


# The records of the first matches, each seen through the visibility index as the scoped lists
# see it (crm.scoping), in case a text the worker kept says otherwise (partners.search_texts).
# Prepared statements (crm.prepared): look-ups by id.
_SEEN = """
    EXISTS (SELECT 1 FROM crm_visibility v WHERE v.viewer_id = %(viewer)s AND v.tab = %(tab)s
            AND v.company_id = %(company)s AND v.record_id = {partner})
"""
OWNED_PARTNERS_SQL = f"""
    SELECT p.id, p.name, p.short_name, p.tax_number, p.city, p.search_text
    FROM partners_partner p
    WHERE p.id = ANY(%(ids)s) AND {_SEEN.format(partner="p.id")}
"""  # noqa: S608 - constant SQL; the values are parameters
# The contacts of the team's partners (the first matches, by id), and the first matches among
# the contacts whose responsible user is in the team (scope_contacts), from the partial index
# of contacts that have one: an empty range where nobody has one.
_CONTACT_COLUMNS = """
    SELECT c.id, c.partner_id, c.title, c.family_name, c.given_name, c.emails, c.phones,
        c.search_text, p.name AS partner_name
    FROM partners_contact c JOIN partners_partner p ON p.id = c.partner_id
"""
OWNED_CONTACTS_SQL = f"""
    {_CONTACT_COLUMNS}
    WHERE c.id = ANY(%(ids)s) AND {_SEEN.format(partner="c.partner_id")}
    UNION ALL
    ({_CONTACT_COLUMNS}
     WHERE c.responsible_id = ANY(%(people)s::bigint[]) AND c.responsible_id IS NOT NULL
       AND c.search_text ~ ALL(%(patterns)s::text[])
     ORDER BY c.search_text NOT LIKE %(prefix)s, c.search_text, c.id
     LIMIT %(limit)s)
"""  # noqa: S608 - constant SQL; the values are parameters


def _like(needle: str) -> str:
    return needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Team:
    """The search texts of the owners whose partners ``user`` sees (``scope``), read once for
    both kinds of a search (``partners.search_texts``)."""

    def __init__(self, user, scope):
        from .search_texts import team_texts

        self.user, self.scope = user, scope
        self.owners = team_texts(scope.company_id, sorted(scope.owner_ids))

    def find(
        self, model, sql: str, kind: int, query: Query, *, limit: int, extra: dict | None = None
    ) -> list:
        """Up to ``limit`` records of ``kind`` that match ``query``, those that start with its
        lead first, then by their text; read with the access check (``sql``). ``extra``: more
        parameters of ``sql``, which then runs even without a match in the texts (it finds
        more itself)."""
        from crm.prepared import fetch_models
        from crm.scoping import table_id

        from .models import Partner

        matches = {}
        for owner in self.owners:
            for text, record_id in query.find_in(owner.kinds[kind]):
                matches[record_id] = text
        lead = query.lead
        first = sorted(matches.items(), key=lambda m: (not m[1].startswith(lead), m[1], m[0]))[
            :limit
        ]
        if not first and extra is None:
            return []
        params = {
            "ids": [record_id for record_id, _ in first],
            "viewer": self.user.pk,
            "tab": table_id(Partner),
            "company": self.scope.company_id,
        }
        return fetch_models(model, sql, params | (extra or {}))


def _find(visible, query: Query, *, limit: int, everything: bool) -> list:
    """Up to ``limit`` rows of ``visible`` whose search text starts with the text as typed,
    then rows that match its words (``Query``), at most ``CANDIDATES`` of them from the
    trigram index, then scoped. ``everything``: ``visible`` is the whole table, so every
    candidate counts and a few suffice."""
    model = visible.model
    from .models import SEARCH_ORDER

    needle = query.needle
    found = list(
        visible.alias(search_c=SEARCH_ORDER)
        .filter(search_c__startswith=needle)
        .order_by("search_c", "pk")[:limit]
    )
    if len(found) < limit and query.key is not None:
        cap = limit * 4 if everything else CANDIDATES
        candidates = model.objects.filter(query.condition()).values("pk")[:cap]
        ids = list(candidates.values_list("pk", flat=True))
        more = (
            visible.filter(pk__in=ids)
            .exclude(pk__in=[r.pk for r in found])
            .exclude(search_text__startswith=needle)
            # by id, not by name: sorting a thousand candidates by their (ICU-collated) names
            # costs more than the whole search; those shown are sorted below
            .order_by("pk")[: limit - len(found)]
        )
        found += list(more)
    return found


def _sorted(rows: list, lead: str, order: tuple[str, ...]) -> list:
    """Those that start with ``lead`` first, each group in ``order``."""
    return sorted(
        rows, key=lambda r: (not r.search_text.startswith(lead), *(_key(r, f) for f in order))
    )


def _everything(user) -> bool:
    from crm.scoping import scope_for

    from .models import Partner

    scope = scope_for(user, Partner, "view")
    return scope.everything or scope.owner_ids is None


def _key(row, field: str):
    value = getattr(row, field)
    return value.lower() if isinstance(value, str) else value


def search_box(user, text: str, *, limit: int = 8) -> tuple[list, list]:
    """The search box's answers: (partners, contacts)."""
    from .models import owned_search_scope

    needle = normalise(text)
    if len(needle) < MIN_LENGTH:
        return [], []
    scope = owned_search_scope(user)
    team = _Team(user, scope) if scope is not None else None
    return (
        search_partners(user, text, limit=limit, team=team),
        search_contacts(user, text, limit=limit, team=team),
    )


def _team(user, team):
    if team is not None:
        return team
    from .models import owned_search_scope

    scope = owned_search_scope(user)
    return _Team(user, scope) if scope is not None else None


def search_partners(user, text: str, *, limit: int = 8, team=None) -> list:
    from .models import Partner

    query = Query(text)
    if len(query.needle) < MIN_LENGTH:
        return []
    team = _team(user, team)
    if team is not None:
        found = team.find(Partner, OWNED_PARTNERS_SQL, search_index.PARTNER, query, limit=limit)
    else:
        visible = Partner.objects.visible_to(user).only(
            "pk", "name", "short_name", "tax_number", "city", "search_text"
        )
        found = _find(visible, query, limit=limit, everything=_everything(user))
    return _sorted(found, query.lead, ("name", "pk"))


def search_contacts(user, text: str, *, limit: int = 8, team=None) -> list:
    from .models import Contact, Partner

    query = Query(text)
    if len(query.needle) < MIN_LENGTH or not user.has_perm("partners.view_contact"):
        return []
    team = _team(user, team)
    if team is not None:
        # The responsible users' branch in the same statement, not asked first: an empty
        # range of the partial index costs less than a round trip on every keystroke.
        responsible = {
            "people": sorted(team.scope.owner_ids),
            "patterns": query.patterns(),
            "prefix": _like(query.lead) + "%",
            "limit": limit,
        }
        found = team.find(
            Contact,
            OWNED_CONTACTS_SQL,
            search_index.CONTACT,
            query,
            limit=limit,
            extra=responsible,
        )
        found = list({contact.pk: contact for contact in found}.values())  # in both branches
        partner = Contact._meta.get_field("partner")
        for contact in found:
            named = Partner.from_db(
                None, ["id", "name"], [contact.partner_id, contact.partner_name]
            )
            partner.set_cached_value(contact, named)
    else:
        visible = (
            Contact.objects.visible_to(user)
            .select_related("partner")
            .only(
                "pk",
                "title",
                "family_name",
                "given_name",
                "emails",
                "phones",
                "search_text",
                "partner__name",
            )
        )
        found = _find(visible, query, limit=limit, everything=_everything(user))
    return _sorted(found, query.lead, ("family_name", "given_name", "pk"))[:limit]
