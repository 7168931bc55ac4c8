"""The global search: text normalisation shared with the search triggers' SQL
(``lower(unaccent(…))``, phones as bare digits), and the queries of the search box.

As one types, the box must answer in well under 100 ms at a million partners and two million
contacts, whatever the user's scope and whatever was typed. No single plan does that (measured
by bench/partners.py): "ORDER BY name LIMIT 8" walks the name index and tests every row, which
takes seconds when the matches sort late. So the matches come first:

- a user who sees a few thousand partners (``small_scope``) has them read by id and filtered,
  then sorted in Python;
- everybody else gets the names that *start* with the text (an ordered range of the prefix
  index, which holds the search text in byte order, ``COLLATE "C"``), then, from four
  characters on, names that *contain* it: at most ``CANDIDATES`` matches from the trigram
  index (a few when the user sees everything), then scoped; the first ``limit`` of those the
  user may see are shown, sorted by name.
"""

import re
import unicodedata

PHONE_LIKE = re.compile(r"^[\d\s+()/-]{4,}$")
CANDIDATES = 1000
MIN_LENGTH = 3


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


def _find(
    visible, needle: str, *, limit: int, order: tuple[str, ...], small: bool, everything: bool
) -> list:
    """Up to ``limit`` rows of ``visible`` whose search text contains ``needle``, those that
    start with it first, each group in ``order``. ``everything``: ``visible`` is the whole
    table, so every candidate counts and a few suffice."""
    model = visible.model
    from .models import SEARCH_ORDER

    if small:
        if len(needle) >= 4:
            # (as a semi-join over the trigram index instead: 3 times slower for "pann")
            rows = list(visible.filter(search_text__contains=needle))
        else:
            # The prefix's rows as a semi-join over the prefix index, beside the user's few
            # thousand: PostgreSQL hashes the smaller side instead of reading every visible
            # row to test it (19 ms for a rep's 2,400 partners and "pan"; 10 with the hash).
            starting = (
                model.objects.alias(search_c=SEARCH_ORDER)
                .filter(search_c__startswith=needle)
                .values("pk")
            )
            rows = list(visible.filter(pk__in=starting))
        rows.sort(
            key=lambda r: (not r.search_text.startswith(needle), *(_key(r, f) for f in order))
        )
        return rows[:limit]
    found = list(
        visible.alias(search_c=SEARCH_ORDER)
        .filter(search_c__startswith=needle)
        .order_by("search_c", "pk")[:limit]
    )
    if len(found) < limit and len(needle) >= 4:
        cap = limit * 4 if everything else CANDIDATES
        candidates = model.objects.filter(search_text__contains=needle).values("pk")[:cap]
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
    found.sort(key=lambda r: (not r.search_text.startswith(needle), *(_key(r, f) for f in order)))
    return found


def _everything(user) -> bool:
    from crm.scoping import scope_for

    from .models import Partner

    scope = scope_for(user, Partner, "view")
    return scope.everything or scope.owner_ids is None


def _key(row, field: str):
    value = getattr(row, field)
    return value.lower() if isinstance(value, str) else value


def search_partners(user, text: str, *, limit: int = 8) -> list:
    from .models import Partner, small_scope

    needle = normalise(text)
    if len(needle) < MIN_LENGTH:
        return []
    visible = Partner.objects.visible_to(user).only(
        "pk", "name", "short_name", "tax_number", "city", "search_text"
    )
    return _find(
        visible,
        needle,
        limit=limit,
        order=("name", "pk"),
        small=small_scope(user),
        everything=_everything(user),
    )


def search_contacts(user, text: str, *, limit: int = 8) -> list:
    from django.db.models import OuterRef, Subquery

    from .models import Contact, Partner, small_scope

    needle = normalise(text)
    if len(needle) < MIN_LENGTH or not user.has_perm("partners.view_contact"):
        return []
    small = small_scope(user)
    fields = ("pk", "title", "family_name", "given_name", "emails", "phones", "search_text")
    visible = Contact.objects.visible_to(user)
    if small:
        # A few thousand contacts are filtered one by one: the partner's name is read for the
        # matches only, not joined to every visible contact before the filter (a rep's
        # "pann": 18 -> 10 ms of SQL, as the commit measured).
        names = Partner.objects.filter(pk=OuterRef("partner_id")).values("name")[:1]
        visible = visible.only(*fields, "partner_id").annotate(partner_name=Subquery(names))
    else:
        visible = visible.select_related("partner").only(*fields, "partner__name")
    found = _find(
        visible,
        needle,
        limit=limit,
        order=("family_name", "given_name", "pk"),
        small=small,
        everything=_everything(user),
    )
    if small:
        partner = Contact._meta.get_field("partner")
        for contact in found:
            named = Partner.from_db(
                None, ["id", "name"], [contact.partner_id, contact.partner_name]
            )
            partner.set_cached_value(contact, named)
    return found
