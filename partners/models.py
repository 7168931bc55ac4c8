"""The partner master (companies we deal with), shared by all own companies, and their contacts.

A partner is one row for the whole organisation; what differs per own company lives beside it:
its owners (``PartnerOwner``, the users responsible for it there) and its status
(``PartnerStatus``: potential / active / inactive, computed from ``BusinessEvent`` rows that the
sales and ERP apps feed through ``partners.status.record_business_event``).

Access: ``Partner.objects.visible_to(user)`` (see ``PartnerQuerySet``) applies the platform's
rules (DESIGN.md section 4) with the partner's owners in the user's current company standing
for the record's owner; contacts follow their partner.
"""

import json
import threading
from decimal import Decimal

import pghistory
import pgtrigger
from cachetools import TTLCache
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Collate, Upper
from django.db.models.lookups import In, IsNull
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crm.choices import choice_label
from crm.prepared import fetch_models, loaded, prepared_cursor
from crm.scoping import AuditedModel, ScopedQuerySet, scope_for

from . import search_index
from .validators import (
    validate_eu_vat_number,
    validate_postcode,
    validate_registration_number,
    validate_tax_number,
)

# The search text in byte order: what the prefix indexes hold and the search box sorts by.
SEARCH_ORDER = Collate("search_text", "C")

# Names sort the Hungarian way (á after a, cs after c, ö after o …): ICU's collation, which
# Debian's PostgreSQL has.
HUNGARIAN = "hu-x-icu"


class County(models.TextChoices):
    BUDAPEST = "BU", "Budapest"
    BACS_KISKUN = "BK", "Bács-Kiskun"
    BARANYA = "BA", "Baranya"
    BEKES = "BE", "Békés"
    BORSOD = "BZ", "Borsod-Abaúj-Zemplén"
    CSONGRAD = "CS", "Csongrád-Csanád"
    FEJER = "FE", "Fejér"
    GYOR = "GS", "Győr-Moson-Sopron"
    HAJDU = "HB", "Hajdú-Bihar"
    HEVES = "HE", "Heves"
    JASZ = "JN", "Jász-Nagykun-Szolnok"
    KOMAROM = "KE", "Komárom-Esztergom"
    NOGRAD = "NO", "Nógrád"
    PEST = "PE", "Pest"
    SOMOGY = "SO", "Somogy"
    SZABOLCS = "SZ", "Szabolcs-Szatmár-Bereg"
    TOLNA = "TO", "Tolna"
    VAS = "VA", "Vas"
    VESZPREM = "VE", "Veszprém"
    ZALA = "ZA", "Zala"


class Status(models.TextChoices):
    POTENTIAL = "potential", _("potential")
    ACTIVE = "active", _("active")
    INACTIVE = "inactive", _("inactive")


STATUS_COLOURS = {
    Status.POTENTIAL: "info",
    Status.ACTIVE: "success",
    Status.INACTIVE: "secondary",
}


def bilingual(hu: str, en: str) -> str:
    """The label in the language of the request (Hungarian unless English is chosen)."""
    return en if (get_language() or "hu").startswith("en") and en else hu


class Industry(models.Model):
    """An industry by TEÁOR code (the Hungarian NACE)."""

    code = models.CharField(_("TEÁOR code"), max_length=10, unique=True)
    name_hu = models.CharField(_("name (Hungarian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self) -> str:
        return f"{self.code} {bilingual(self.name_hu, self.name_en)}"


class Tag(models.Model):
    """A partner group or label; newsletters address partners by them."""

    name = models.CharField(_("name"), max_length=80, db_collation=HUNGARIAN)
    colour = models.CharField(
        _("colour"),
        max_length=20,
        default="secondary",
        choices=[
            ("primary", _("blue")),
            ("success", _("green")),
            ("warning", _("yellow")),
            ("danger", _("red")),
            ("info", _("cyan")),
            ("secondary", _("grey")),
        ],
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(Upper("name"), name="partners_tag_name_unique")]

    def __str__(self) -> str:
        return self.name


# ----------------------------------------------------------------------------- partners


# A hierarchy scope of at most this many partners is read as an id list first (then sorted);
# a larger one is walked in list order, checking each row against the visibility index.
SMALL_SCOPE = 5000


# How many partners a user sees by hierarchy only chooses a query plan, so a count is kept in
# the worker for a while (a stale one costs speed, never correctness): counting a rep's few
# thousand entries took longer than the partner page's own query.
SCOPE_SIZE_SECONDS = 120
_scope_sizes: TTLCache[tuple[int, int], int] = TTLCache(10_000, SCOPE_SIZE_SECONDS)
_scope_sizes_lock = threading.Lock()


# Up to this many partners seen by hierarchy, the search box reads the owners' search index
# (partners.search_index); above it, the trigram index and the prefix index (partners.search).
OWNED_SEARCH_SCOPE = 50_000


def _scope_size(user, company_id: int) -> int:
    """How many partners ``user`` sees by hierarchy, counted up to the larger of
    ``SMALL_SCOPE`` and ``OWNED_SEARCH_SCOPE``, plus one (an index-only scan of the visibility
    index), kept in the worker for ``SCOPE_SIZE_SECONDS``."""
    from crm.scoping import table_id

    key = (user.pk, company_id)
    with _scope_sizes_lock:
        known = _scope_sizes.get(key)
    if known is not None:
        return known
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM crm_visibility WHERE viewer_id = %s"
            " AND tab = %s AND company_id = %s LIMIT %s) t",
            [user.pk, table_id(Partner), company_id, max(SMALL_SCOPE, OWNED_SEARCH_SCOPE) + 1],
        )
        size = cursor.fetchone()[0]
    with _scope_sizes_lock:
        _scope_sizes[key] = size
    return size


def matching(queryset, text: str, *, restricted: bool = True):
    """Rows of ``queryset`` whose search text has every word of ``text`` (in any order; from
    four characters on anywhere, shorter ones at the start of a word: ``partners.search.Query``),
    for a list's search box. The matches are a semi-join (``id IN (…)``) that PostgreSQL hashes
    against a restricted list (a user's scope, an owner's partners); for an unrestricted one
    (``restricted=False``: "see all") they are collected first (``= ANY(ARRAY(…))`` over the
    trigram index), so a list sorted by name does not walk the whole name index testing every
    row (3 s for a common word)."""
    from .search import Query

    query = Query(text)
    if not query.needle:
        return queryset.none()
    if query.key is None:  # every word shorter than three characters: the text's start
        return queryset.filter(search_text__startswith=query.needle)
    found = queryset.model.objects.filter(query.condition()).values("pk")
    if restricted:
        return queryset.filter(pk__in=found)
    table = queryset.model._meta.db_table
    sql, params = found.query.sql_with_params()
    return queryset.extra(  # noqa: S610 - SQL of a queryset; the words are parameters
        where=[f'"{table}"."id" = ANY(ARRAY({sql}))'],
        params=params,
    )


def owned_search_scope(user):
    """The scope of ``user``'s partners when the search box reads them, and their contacts,
    from the owners' search index (``partners.search_index``): by hierarchy only (no records
    shared one by one), up to ``OWNED_SEARCH_SCOPE`` partners. None otherwise."""
    way, scope = partner_reach(user, "view")
    if way == "index" and _scope_size(user, scope.company_id) <= OWNED_SEARCH_SCOPE:
        return scope
    return None


def partner_reach(user, action: str):
    """How ``user`` reaches partners for ``action``, as (way, scope): ``"all"`` (the whole
    master), ``"none"``, ``"index"`` (by hierarchy: the visibility index's entries of the user
    in ``scope.company_id``) or ``"rule"`` (records shared one by one as well: the rule itself,
    ``PartnerQuerySet.by_rule``). The one decision that ``scope_partners`` (every list and
    lookup) and ``PartnerQuerySet.page_for`` (the partner page) share."""
    scope = scope_for(user, Partner, action)
    if scope.everything or scope.owner_ids is None:
        return "all", scope
    if scope.nothing or (not scope.owner_ids and scope.granted is None):
        return "none", scope
    if scope.granted is not None:
        return "rule", scope
    return "index", scope


def scope_partners(queryset, user, action: str, *, column: str):
    """``queryset`` limited to rows whose ``column`` (a partner id) is a partner ``user`` may
    reach for ``action``: the access rule of the partner master, for partners (``id``) and for
    rows that belong to a partner (contacts: ``partner_id``).

    By hierarchy the visibility index answers (``crm/sql/visibility.sql``, kept by the owner
    rows' triggers). How it is asked depends on the size of the user's scope, because no single
    plan is fast for both: a rep's few thousand partners are a semi-join (``IN (SELECT …)``,
    which the planner hashes or merges with the other conditions), while a director's hundreds
    of thousands are walked in list order with one index probe per row (``EXISTS``). The list
    by name does not come here at all when it can be read from the index in order
    (``visibility_window``)."""
    from crm.models import Visibility
    from crm.scoping import table_id

    way, scope = partner_reach(user, action)
    if way == "all":
        return queryset.all()
    if way == "none":
        return queryset.none()
    if way == "rule":  # rare: records shared one by one; the rule as a query
        ids = Partner.objects.all().by_rule(user, action).values("pk")
        return queryset.filter(**{f"{column}__in": ids})
    entries = Visibility.objects.filter(
        viewer_id=user.pk, tab=table_id(Partner), company_id=scope.company_id
    )
    if _scope_size(user, scope.company_id) <= SMALL_SCOPE:
        # A semi-join, which PostgreSQL may hash: "= ANY(ARRAY(…))" is searched linearly for
        # every row that another condition (a search, say) leaves, 2,400 × 1,500 comparisons.
        return queryset.filter(**{f"{column}__in": entries.values("record_id")})
    return queryset.filter(Exists(entries.filter(record_id=OuterRef(column))))


def responsible_in_scope(user, people) -> bool:
    """Whether any contact has one of ``people`` (the user's hierarchy scope) as its
    responsible user: one probe of the partial index of contacts that have one, asked once per
    request (cached on the user object, as ``crm.scoping`` caches grants). Where nobody has
    a responsible user, it is an empty index and the contact queries stay the partner rule's."""
    if not people:
        return False
    cache = user.__dict__.setdefault("_partners_responsible", {})
    key = tuple(people)
    if key not in cache:
        with prepared_cursor() as cursor:
            cursor.execute(RESPONSIBLE_IN_SCOPE_SQL, {"people": list(people)})
            cache[key] = cursor.fetchone()[0]
    return cache[key]


RESPONSIBLE_IN_SCOPE_SQL = """
    SELECT EXISTS (SELECT 1 FROM partners_contact
                   WHERE responsible_id = ANY(%(people)s::bigint[]) AND responsible_id IS NOT NULL)
"""


def scope_contacts(queryset, user, action: str):
    """``queryset`` (contacts) limited to those ``user`` may reach for ``action``: the contacts
    of the partners they reach (``scope_partners``), and those whose responsible user is the
    user or one of their subordinates (``scope.owner_ids``), whoever owns the partner.

    The common case, nobody in the user's scope responsible for any contact
    (``responsible_in_scope``), is the partner rule's query itself, with its plans. Otherwise
    the two branches are OR-ed: the contacts of the partners as the partner rule asks for them,
    or a responsible user among the user's people (an array test of the row)."""
    from crm.models import Visibility
    from crm.scoping import table_id

    way, scope = partner_reach(user, action)
    people = sorted(scope.owner_ids or ()) if way in ("index", "rule") else []
    if not responsible_in_scope(user, people):
        return scope_partners(queryset, user, action, column="partner_id")
    theirs = Q(responsible_id__in=people)
    if way == "rule":  # rare: partners shared one by one
        ids = Partner.objects.all().by_rule(user, action).values("pk")
        return queryset.filter(Q(partner_id__in=ids) | theirs)
    entries = Visibility.objects.filter(
        viewer_id=user.pk, tab=table_id(Partner), company_id=scope.company_id
    )
    if _scope_size(user, scope.company_id) <= SMALL_SCOPE:
        return queryset.filter(Q(partner_id__in=entries.values("record_id")) | theirs)
    # One index probe per listed row, as the partner rule's EXISTS: the probe also says "not
    # already theirs" (a test of the row alone, which keeps PostgreSQL from hashing the
    # director's hundreds of thousands of entries instead: 0.6 ms against 80 ms a page).
    not_theirs = Q(IsNull(OuterRef("responsible_id"), True)) | ~Q(
        In(OuterRef("responsible_id"), people)
    )
    probe = entries.filter(not_theirs, record_id=OuterRef("partner_id"))
    return queryset.filter(Exists(probe) | theirs)


def _visibility_sql(viewer_id, company_id, owner_id, status) -> tuple[list[str], dict]:
    """The conditions of a viewer's partner entries (``visibility_window``) and their values."""
    from crm.scoping import table_id

    sql = [
        "FROM crm_visibility v"
        " WHERE v.viewer_id = %(viewer)s AND v.tab = %(tab)s AND v.company_id = %(company)s"
        " AND v.sort_key IS NOT NULL"
    ]
    params: dict = {"viewer": viewer_id, "tab": table_id(Partner), "company": company_id}
    if owner_id is not None:
        sql.append("AND v.owner_id = %(owner)s")
        params["owner"] = owner_id
    status_row = (
        "EXISTS (SELECT 1 FROM partners_partnerstatus s"
        " WHERE s.partner_id = v.record_id AND s.company_id = %(company)s"
    )
    if status == Status.POTENTIAL:  # no status row in the company
        sql.append("AND NOT " + status_row + ")")
    elif status:
        sql.append("AND " + status_row + " AND s.status = %(status)s)")
        params["status"] = status
    return sql, params


def visibility_window(
    *,
    viewer_id: int,
    company_id: int,
    size: int,
    after: list | None = None,
    before: list | None = None,
    owner_id: int | None = None,
    status: str = "",
) -> tuple[list[int], list | None, list | None]:
    """One page of the partners in ``viewer_id``'s entries of the visibility index, by name,
    and the page before ``before`` too (``crm.keyset.window``): (partner ids, next page's
    ``[name, id]`` or None, previous page's or None). The entries carry the partner's name
    (``sort_key``), so a page is one ordered range of ``crm_visibility_sorted`` however many
    partners the viewer reaches. ``owner_id`` keeps the partners that person owns themselves;
    ``status`` one status in the company."""
    from crm import keyset

    conditions, params = _visibility_sql(viewer_id, company_id, owner_id, status)

    def fetch(values, backwards, limit):
        # One of a few constant texts, prepared (crm.prepared): its plan is this index range
        # (scanned backwards for the page before) whatever the values; a page costs 0.25 ms.
        sql = ["SELECT v.sort_key, v.record_id", *conditions]
        arguments = dict(params, limit=limit)
        if values:
            sign = "<" if backwards else ">"
            sql.append(f"AND (v.sort_key, v.record_id) {sign} (%(after_key)s, %(after_id)s)")
            arguments["after_key"], arguments["after_id"] = values
        direction = " DESC" if backwards else ""
        # A partner reached through two owners has two entries: one row each.
        sql.append(
            f"GROUP BY v.sort_key, v.record_id ORDER BY v.sort_key{direction},"
            f" v.record_id{direction} LIMIT %(limit)s"
        )
        with prepared_cursor() as cursor:
            cursor.execute(" ".join(sql), arguments)
            return [([row[0], row[1]], row[1]) for row in cursor.fetchall()]

    return keyset.window(fetch, after=after, before=before, size=size)


def visibility_count(
    *, viewer_id: int, company_id: int, cap: int, owner_id: int | None = None, status: str = ""
) -> int:
    """How many partners ``visibility_window`` pages through, counted up to ``cap + 1``: the
    same index range, read in order and stopped after ``cap + 1`` partners."""
    conditions, params = _visibility_sql(viewer_id, company_id, owner_id, status)
    sql = " ".join(
        [
            "SELECT count(*) FROM (SELECT v.sort_key, v.record_id",
            *conditions,
            "GROUP BY v.sort_key, v.record_id ORDER BY v.sort_key, v.record_id",
            "LIMIT %(limit)s) s",
        ]
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, dict(params, limit=cap + 1))
        return cursor.fetchone()[0]


def small_scope_contact_page(
    user, *, after: list | None, size: int
) -> tuple[list[int], list | None] | None:
    """One page of the contacts of ``user``'s partners by name (family name, given name, id):
    (contact ids, the values the next page starts after, or None), when the user reaches
    partners by hierarchy only and at most ``SMALL_SCOPE`` of them; None otherwise (the general
    query of ``ContactQuerySet.visible_to``). See ``small_scope_contact_window``."""
    found = small_scope_contact_window(user, after=after, size=size)
    return None if found is None else found[:2]


def _small_scope_sql(user, scope, *, cursor: str = "", order: str = "", limit: bool = True):
    """The contacts of a small scope (``small_scope_contact_window``) and their values:
    ``cursor`` a condition on ``(c.family_name, c.given_name, c.id)``, ``order`` the outer
    ordering."""
    from crm.scoping import table_id

    params: dict = {"viewer": user.pk, "tab": table_id(Partner), "company": scope.company_id}
    theirs = ""
    if responsible_in_scope(user, sorted(scope.owner_ids)):
        params["people"] = sorted(scope.owner_ids)
        theirs = """
            UNION ALL
            SELECT c.family_name, c.given_name, c.id FROM partners_contact c
            WHERE c.responsible_id = ANY(%(people)s::bigint[])
              AND c.responsible_id IS NOT NULL {condition}
              AND NOT EXISTS ({seen} AND v.record_id = c.partner_id)
        """
    seen = """
        SELECT v.record_id FROM crm_visibility v
        WHERE v.viewer_id = %(viewer)s AND v.tab = %(tab)s AND v.company_id = %(company)s
    """
    theirs = theirs.format(condition=cursor, seen=seen)
    sql = f"""
        SELECT s.family_name, s.given_name, s.id FROM (
            SELECT c.family_name, c.given_name, c.id FROM partners_contact c
            WHERE c.partner_id IN ({seen}) {cursor}
            {theirs}
            OFFSET 0
        ) s {order} {"LIMIT %(limit)s" if limit else ""}
    """  # noqa: S608 - constant SQL, values bound
    return sql, params


def small_scope_contact_window(
    user, *, after: list | None, size: int, before: list | None = None
) -> tuple[list[int], list | None, list | None] | None:
    """(contact ids, next page's values or None, previous page's or None) of the contacts of
    ``user``'s partners by name, after ``after`` or before ``before`` (``crm.keyset.window``),
    when the user reaches partners by hierarchy only and at most ``SMALL_SCOPE`` of them; None
    otherwise.

    Asked as the general query is, the planner walks all contacts in name order and probes the
    visibility index for each: a rep's 2,400 partners hold one contact in 400, so the first page
    read 37,000 contacts (190 ms warm on the 2M-contact data). Here the user's partners' few
    thousand contacts are read through the partner index and sorted (20 ms); the ``OFFSET 0``
    keeps the planner from pulling the order and the limit into the subquery.

    The contacts whose responsible user is in the user's scope (``scope_contacts``), when
    there are any (``responsible_in_scope``), are added from the partial index of contacts
    that have one, less those already read through their partner."""
    from crm import keyset

    way, scope = partner_reach(user, "view")
    if way != "index" or _scope_size(user, scope.company_id) > SMALL_SCOPE:
        return None

    def fetch(values, backwards, limit):
        condition = ""
        if values is not None:
            sign = "<" if backwards else ">"
            condition = (
                f"AND (c.family_name, c.given_name, c.id) {sign} (%(family)s, %(given)s, %(id)s)"
            )
        direction = " DESC" if backwards else ""
        order = f"ORDER BY s.family_name{direction}, s.given_name{direction}, s.id{direction}"
        sql, params = _small_scope_sql(user, scope, cursor=condition, order=order)
        if values is not None:
            params["family"], params["given"], params["id"] = values
        params["limit"] = limit
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            return [(list(row), row[2]) for row in cursor.fetchall()]

    return keyset.window(fetch, after=after, before=before, size=size)


def small_scope_contact_count(user, *, cap: int) -> int | None:
    """How many contacts ``small_scope_contact_window`` pages through, up to ``cap + 1``; None
    when the user's scope is not small (the general query counts)."""
    way, scope = partner_reach(user, "view")
    if way != "index" or _scope_size(user, scope.company_id) > SMALL_SCOPE:
        return None
    sql, params = _small_scope_sql(user, scope)
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) n", dict(params, limit=cap + 1))  # noqa: S608
        return cursor.fetchone()[0]


# The partner page's row (PartnerQuerySet.page_row): the owners' names as the list shows them,
# family name first; the tags as JSON, by name.
_PAGE_ROW = """
    SELECT p.*,{overview}
        (SELECT s.status FROM partners_partnerstatus s
         WHERE s.partner_id = p.id AND s.company_id = %(company)s LIMIT 1) AS company_status,
        ARRAY(
            SELECT coalesce(nullif(trim(coalesce(u.last_name, '') || ' ' || coalesce(u.first_name, '')), ''), u.username)
            FROM partners_partnerowner o JOIN crm_user u ON u.id = o.user_id
            WHERE o.partner_id = p.id AND o.company_id = %(company)s
            ORDER BY u.last_name, u.first_name, o.user_id
        ) AS owner_names,
        (SELECT jsonb_agg(jsonb_build_object('colour', t.colour, 'name', t.name) ORDER BY t.name)
         FROM partners_partner_tags pt JOIN partners_tag t ON t.id = pt.tag_id
         WHERE pt.partner_id = p.id) AS tag_list,
        i.code AS industry_code, i.name_hu AS industry_name_hu, i.name_en AS industry_name_en
    FROM partners_partner p LEFT JOIN partners_industry i ON i.id = p.industry_id
    WHERE p.id = %(pk)s
"""  # noqa: E501
# The overview tab's rows (_overview) as JSON text beside the page's row, so that the
# overview costs no second round trip.
_OVERVIEW_COLUMNS = """
        (SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.id), '[]')
           FROM partners_partneraddress a WHERE a.partner_id = p.id)::text AS overview_addresses,
        (SELECT coalesce(jsonb_agg(to_jsonb(f) ORDER BY f.year DESC), '[]')
           FROM (SELECT * FROM partners_partnerfinancials WHERE partner_id = p.id
                 ORDER BY year DESC LIMIT 5) f)::text AS overview_financials,
        (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]')
           FROM partners_externalid x WHERE x.partner_id = p.id)::text AS overview_external_ids,
        (SELECT to_jsonb(s) FROM partners_partnerstatus s
          WHERE s.partner_id = p.id AND s.company_id = %(company)s)::text AS overview_status,
        (SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.occurred_on DESC, e.id DESC), '[]')
           FROM (SELECT * FROM partners_businessevent
                  WHERE partner_id = p.id AND company_id = %(company)s
                  ORDER BY occurred_on DESC, id DESC LIMIT 10) e)::text AS overview_events,"""
PAGE_ROW_SQL = _PAGE_ROW.format(overview="")
PAGE_ROW_OVERVIEW_SQL = _PAGE_ROW.format(overview=_OVERVIEW_COLUMNS)
PAGE_ROW_BY_INDEX = """
    AND EXISTS (
        SELECT 1 FROM crm_visibility v
        WHERE v.viewer_id = %(viewer)s AND v.tab = %(tab)s AND v.company_id = %(scope)s
          AND v.record_id = p.id
    )
"""


class PartnerQuerySet(ScopedQuerySet):
    """Scoping of the shared master: the partner's owners in the user's current company stand
    for the record owner of ``ScopedModel``; "see all" users see the whole master."""

    def _scoped(self, user, action: str):
        return scope_partners(self, user, action, column="id")

    def by_rule(self, user, action: str = "view"):
        """``visible_to`` straight from the owner rows and the supervisor graph, without the
        visibility index: what the index must always agree with (tests compare the two)."""
        scope = scope_for(user, self.model, action)
        if scope.everything or scope.owner_ids is None:
            return self.all()
        if scope.nothing:
            return self.none()
        condition = Q(pk__in=[])
        if scope.owner_ids:
            condition = Exists(
                PartnerOwner.objects.filter(
                    partner_id=OuterRef("pk"),
                    company_id=scope.company_id,
                    user_id__in=sorted(scope.owner_ids),
                )
            )
        if scope.granted is not None:
            condition |= Q(pk__in=scope.granted)
        return self.filter(condition)

    def page_for(self, user, *, company_id: int, pk: int, overview: bool = False):
        """The partner page's row if ``user`` may see the partner, else None, in one constant
        statement (``PAGE_ROW_SQL``): the partner, its industry, its status in the current
        company, the owners' names there and the tags (as the list's rows,
        ``tables.ROWS_SQL``); with ``overview``, also the overview tab's rows, as
        ``partner.overview`` (``_overview``).
        Access is ``visible_to``'s (``partner_reach`` decides for both):
        by hierarchy the statement itself asks the visibility index, as the scoped lists do;
        with one-by-one shares ``visible_to`` is asked first. Written as SQL because building
        and compiling the same statement with the ORM cost four times as long as running it;
        prepared (``crm.prepared``), because planning it cost five times as long again."""
        from crm.scoping import table_id

        way, scope = partner_reach(user, "view")
        if way == "none":
            return None
        sql = PAGE_ROW_OVERVIEW_SQL if overview else PAGE_ROW_SQL
        params = {"company": company_id, "pk": pk}
        if way == "rule" and not self.model.objects.visible_to(user).filter(pk=pk).exists():
            return None
        if way == "index":
            sql += PAGE_ROW_BY_INDEX
            params |= {"viewer": user.pk, "tab": table_id(Partner), "scope": scope.company_id}
        rows = fetch_models(self.model, sql, params)
        if not rows:
            return None
        partner = rows[0]
        if partner.industry_id is not None:
            partner.industry = loaded(
                Industry,
                ["id", "code", "name_hu", "name_en"],
                [
                    partner.industry_id,
                    partner.industry_code,
                    partner.industry_name_hu,
                    partner.industry_name_en,
                ],
            )
        partner.tag_list = json.loads(partner.tag_list) if partner.tag_list else []
        if overview:
            partner.overview = _overview(
                *(
                    _json_with_decimals(getattr(partner, f"overview_{name}"))
                    for name in ("addresses", "financials", "external_ids", "status", "events")
                )
            )
        return partner

    def owned_by(self, *, company_id: int, people: list[int]):
        """Partners that any of ``people`` own in the company (a list filter, not access).
        A few thousand are read as an id array first, more by one probe per listed row, for
        the same reason as ``scope_partners``."""
        from django.db import connection

        people = sorted(set(people))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM partners_partnerowner WHERE company_id = %s"
                " AND user_id = ANY(%s) LIMIT %s) t",
                [company_id, people, SMALL_SCOPE + 1],
            )
            small = cursor.fetchone()[0] <= SMALL_SCOPE
        if small:
            return self.extra(  # noqa: S610 - constant SQL; the values are parameters
                where=[
                    '"partners_partner"."id" = ANY(ARRAY(SELECT partner_id FROM'
                    " partners_partnerowner WHERE company_id = %s AND user_id = ANY(%s)))"
                ],
                params=[company_id, people],
            )
        return self.filter(
            Exists(
                PartnerOwner.objects.filter(
                    partner_id=OuterRef("pk"), company_id=company_id, user_id__in=people
                )
            )
        )

    def search(self, text: str, *, restricted: bool = True):
        """Partners whose name, short name or tax number contains ``text`` (accents and case
        ignored), through the trigram index of ``search_text``; ``restricted=False`` when the
        queryset is the whole master (see ``matching``)."""

        return matching(self, text, restricted=restricted)


# Text the global search reads: name, short name and tax number digits, lower case, unaccented.
PARTNER_SEARCH_TRIGGER = pgtrigger.Trigger(
    name="search_text",
    level=pgtrigger.Row,
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update,
    func="""
        NEW.search_text := lower(public.unaccent(concat_ws(' ', NEW.name, NEW.short_name,
            replace(NEW.tax_number, '-', ''), NEW.registration_number)));
        RETURN NEW;
    """,
)

# A renamed partner moves in the users' lists: the sort keys of its visibility entries follow.
PARTNER_SORT_KEY_TRIGGER = pgtrigger.Trigger(
    name="visibility_sort_key",
    level=pgtrigger.Statement,
    when=pgtrigger.After,
    operation=pgtrigger.Update,
    referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
    func="""
        UPDATE crm_visibility v SET sort_key = n.name
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE o.name IS DISTINCT FROM n.name
          AND v.tab = 'partners_partner'::regclass::oid::bigint AND v.record_id = n.id;
        RETURN NULL;
    """,
)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["search_text", "updated_at"],
)
class Partner(AuditedModel):
    """A company we deal with (customer, prospect, supplier, reseller)."""

    name = models.CharField(_("name"), max_length=300, db_collation=HUNGARIAN)
    short_name = models.CharField(
        _("short name"), max_length=100, blank=True, db_collation=HUNGARIAN
    )
    # NULL, not "": many partners have no tax number, and the unique constraint must allow that.
    tax_number = models.CharField(  # noqa: DJ001
        _("tax number"),
        max_length=13,
        null=True,
        blank=True,
        validators=[validate_tax_number],
        help_text=_("Hungarian tax number, like 12345678-1-12."),
    )
    eu_vat_number = models.CharField(
        _("EU VAT number"), max_length=20, blank=True, validators=[validate_eu_vat_number]
    )
    registration_number = models.CharField(
        _("company registration number"),
        max_length=12,
        blank=True,
        validators=[validate_registration_number],
        help_text=_("Like 01-09-123456."),
    )
    # The seat (registered office) is on the row itself: lists filter and sort by it.
    postcode = models.CharField(
        _("postcode"), max_length=10, blank=True, validators=[validate_postcode]
    )
    city = models.CharField(_("city"), max_length=100, blank=True, db_collation=HUNGARIAN)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    county = models.CharField(_("county"), max_length=2, blank=True, choices=County.choices)
    country = models.CharField(_("country"), max_length=2, default="HU")
    phones = ArrayField(
        models.CharField(max_length=30), verbose_name=_("phones"), default=list, blank=True
    )
    emails = ArrayField(
        models.EmailField(max_length=254), verbose_name=_("e-mails"), default=list, blank=True
    )
    website = models.URLField(_("website"), blank=True)
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="partners",
    )
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="partners")
    notes = models.TextField(_("notes"), blank=True)
    attributes = models.JSONField(_("other attributes"), default=dict, blank=True)
    search_text = models.TextField(default="", editable=False)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        permissions = [
            ("view_all_partner", _("See every partner")),
            ("assign_partner", _("Assign partners to owners")),
            ("import_partner", _("Import partners and contacts")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tax_number"], name="partners_partner_tax_unique"),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="partners_partner_name"),
            models.Index(fields=["city", "name", "id"], name="partners_partner_city"),
            models.Index(fields=["county", "name", "id"], name="partners_partner_county"),
            # a partner's county by its id, without reading its row: the query builder's
            # "activities (or contacts, opportunities …) of partners in Pest county" tests the
            # partner of every row it walks; these ~30 MB stay in shared buffers, the table's
            # 365 MB (at 1M partners) do not (issue 23: 5,700 probes for a manager's page)
            models.Index(fields=["id"], include=["county"], name="partners_partner_id_county"),
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="partners_partner_search"),
            # "starts with" as one types, in order (the search box's first answers): byte
            # order ("C"), so that one index range gives both the prefix and the order
            models.Index(SEARCH_ORDER, "id", name="partners_partner_prefix"),
            GinIndex(OpClass("attributes", name="jsonb_path_ops"), name="partners_partner_attrs"),
        ]
        triggers = [PARTNER_SEARCH_TRIGGER, PARTNER_SORT_KEY_TRIGGER, search_index.PARTNER_TRIGGER]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from crm.validators import normalise_registration_number, normalise_tax_number

        if self.tax_number:
            self.tax_number = normalise_tax_number(self.tax_number)
        else:
            self.tax_number = None
        if self.registration_number:
            self.registration_number = normalise_registration_number(self.registration_number)
        if self.postcode.startswith("1") and self.country == "HU" and not self.county:
            self.county = County.BUDAPEST
        if self.eu_vat_number:
            self.eu_vat_number = self.eu_vat_number.replace(" ", "").upper()
            if (
                self.tax_number
                and self.eu_vat_number.startswith("HU")
                and self.eu_vat_number[2:] != self.tax_number[:8]
            ):
                raise ValidationError(
                    {
                        "eu_vat_number": _(
                            "A Hungarian EU VAT number is HU and the first eight digits of the"
                            " tax number (%(expected)s)."
                        )
                        % {"expected": "HU" + self.tax_number[:8]}
                    }
                )

    @property
    def address(self) -> str:
        return ", ".join(p for p in (f"{self.postcode} {self.city}".strip(), self.street) if p)


@pghistory.track(
    pghistory.InsertEvent(), pghistory.DeleteEvent(), obj_field=None, model_name="PartnerTagEvent"
)
class PartnerTag(Partner.tags.through):
    """A partner's tag (the link table of ``Partner.tags``): given and taken away tags show in
    the partner's history (partners/history.py). A proxy, as Django's own link table can carry
    no triggers of its own in migrations."""

    class Meta:
        proxy = True


class AddressKind(models.TextChoices):
    SITE = "site", _("site")
    MAILING = "mailing", _("mailing address")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class PartnerAddress(models.Model):
    """Another address of a partner besides its seat: sites, mailing address."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="addresses"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AddressKind.choices)
    postcode = models.CharField(_("postcode"), max_length=10, validators=[validate_postcode])
    city = models.CharField(_("city"), max_length=100, db_collation=HUNGARIAN)
    street = models.CharField(_("street address"), max_length=200)
    county = models.CharField(_("county"), max_length=2, blank=True, choices=County.choices)
    country = models.CharField(_("country"), max_length=2, default="HU")

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.postcode} {self.city}, {self.street}"

    @property
    def kind_label(self) -> str:
        """``get_kind_display()``, kept per language (crm.choices)."""
        return choice_label(AddressKind, self.kind)


class PartnerFinancials(models.Model):
    """Balance-sheet figures of one year, in HUF, and the year's headcount: filled from the
    registry, typed on the partner form (``partners.financials``) or imported."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="financials"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(1990)])
    revenue = models.BigIntegerField(_("revenue (HUF)"), null=True, blank=True)
    profit = models.BigIntegerField(_("profit (HUF)"), null=True, blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("balance-sheet figures")
        verbose_name_plural = _("balance-sheet figures")
        constraints = [
            models.UniqueConstraint(fields=["partner", "year"], name="partners_financials_year")
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.year}"


class ExternalId(models.Model):
    """The partner's id in an outside system (ERP code, registry id): unique per system."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="external_ids"
    )
    system = models.SlugField(_("system"), max_length=40)
    value = models.CharField(_("id"), max_length=100)

    class Meta:
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="partners_extid_unique"),
            models.UniqueConstraint(fields=["partner", "system"], name="partners_extid_one"),
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


# Keeps the visibility index (crm/sql/visibility.sql) for partners: each owner row gives the
# owner and everybody above them an entry (viewer, partner, owner), exactly as a scoped record's
# owner does, so hierarchy changes (crm_visibility_refresh) treat both alike. Each entry carries
# the partner's name as its sort key (crm/sql/visibility_sort_key.sql), kept by the partner's
# rename trigger, so a user's list by name is one ordered range of the index.
_OWNER_TAB = "'partners_partner'::regclass::oid::bigint"
OWNER_VISIBILITY_TRIGGERS = [
    pgtrigger.Trigger(
        name="visibility_ins",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=pgtrigger.Referencing(new="new_rows"),
        func=f"""
            INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id, sort_key)
            SELECT p.viewer_id, {_OWNER_TAB}, n.company_id, n.partner_id, n.user_id, r.name
            FROM new_rows n
            JOIN partners_partner r ON r.id = n.partner_id
            JOIN crm_viewer_pairs(ARRAY(SELECT DISTINCT user_id FROM new_rows)) p
              ON p.owner_id = n.user_id
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        """,  # noqa: S608 - constant SQL, no user input
    ),
    pgtrigger.Trigger(
        name="visibility_del",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Delete,
        referencing=pgtrigger.Referencing(old="old_rows"),
        func=f"""
            DELETE FROM crm_visibility v USING old_rows o
            WHERE v.tab = {_OWNER_TAB} AND v.record_id = o.partner_id
              AND v.company_id = o.company_id AND v.owner_id = o.user_id;
            RETURN NULL;
        """,  # noqa: S608 - constant SQL, no user input
    ),
    pgtrigger.Protect(name="owner_rows_are_replaced", operation=pgtrigger.Update),
]

# Rebuilds the partners' entries of the visibility index (manage.py rebuild_visibility).
OWNER_VISIBILITY_REBUILD = f"""
    DELETE FROM crm_visibility WHERE tab = {_OWNER_TAB};
    INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id, sort_key)
    SELECT p.viewer_id, {_OWNER_TAB}, n.company_id, n.partner_id, n.user_id, r.name
    FROM partners_partnerowner n
    JOIN partners_partner r ON r.id = n.partner_id
    JOIN crm_viewer_pairs(ARRAY(SELECT DISTINCT user_id FROM partners_partnerowner)) p
      ON p.owner_id = n.user_id
    ON CONFLICT DO NOTHING;
"""  # noqa: S608 - constant SQL, no user input


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class PartnerOwner(models.Model):
    """A user responsible for a partner in one own company (a partner may have several).
    Rows are added and removed, never updated (a trigger refuses updates)."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="owners"
    )
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_partners",
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("partner owner")
        verbose_name_plural = _("partner owners")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "company", "user"], name="partners_owner_unique"
            )
        ]
        indexes = [
            models.Index(fields=["company", "user", "partner"], name="partners_owner_user"),
        ]
        triggers = [*OWNER_VISIBILITY_TRIGGERS, *search_index.OWNER_TRIGGERS]

    def __str__(self) -> str:
        return f"{self.user} → {self.partner}"


class SearchEntry(models.Model):
    """The owners' search index (``partners.search_index``): the search text of a partner or
    of one of its contacts, once for every owner of the partner in an own company. Written
    only by database triggers."""

    pk = models.CompositePrimaryKey("company_id", "owner_id", "kind", "record_id")
    company_id = models.BigIntegerField()
    owner_id = models.BigIntegerField()
    kind = models.SmallIntegerField()  # search_index.PARTNER or CONTACT
    record_id = models.BigIntegerField()
    search_text = models.TextField()

    class Meta:
        managed = False
        db_table = "partners_searchentry"

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.kind}:{self.record_id}"


class SearchChange(models.Model):
    """An owner whose rows of the owners' search index a write changed (``partners.search_index``):
    an append-only log that tells the workers' copies (``partners.search_texts``) to reload."""

    id = models.BigAutoField(primary_key=True)
    company_id = models.BigIntegerField()
    owner_id = models.BigIntegerField()

    class Meta:
        managed = False
        db_table = "partners_searchchange"

    def __str__(self) -> str:
        return f"{self.company_id}/{self.owner_id}: {self.pk}"


class PartnerStatus(models.Model):
    """The partner's computed status in one own company. A partner without a row is potential.
    Written only by ``partners.status.refresh_statuses``."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="statuses"
    )
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    last_event_on = models.DateField(_("last order, contract or turnover"), null=True)
    period_turnover = models.DecimalField(
        _("turnover in the period (HUF)"), max_digits=16, decimal_places=0, default=0
    )
    period_events = models.PositiveIntegerField(_("events in the period"), default=0)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("partner status")
        verbose_name_plural = _("partner statuses")
        constraints = [
            models.UniqueConstraint(fields=["partner", "company"], name="partners_status_unique")
        ]
        indexes = [
            models.Index(fields=["company", "status", "partner"], name="partners_status_list"),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_status_display()}"


class EventKind(models.TextChoices):
    ORDER = "order", pgettext_lazy("business event", "order")
    CONTRACT = "contract", _("contract")
    TURNOVER = "turnover", _("turnover")


class BusinessEvent(models.Model):
    """An order, contract or turnover with a partner in one own company: what the status rule
    reads. Sales and the ERP sync add them through ``record_business_event``."""

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="business_events",
    )
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices)
    occurred_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (HUF)"), max_digits=16, decimal_places=0, default=0)
    source = models.CharField(_("source"), max_length=40)
    reference = models.CharField(_("reference"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("business event")
        verbose_name_plural = _("business events")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "source", "reference"], name="partners_event_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["company", "partner", "-occurred_on"], name="partners_event_partner"
            ),
            models.Index(fields=["company", "-occurred_on"], name="partners_event_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def kind_label(self) -> str:
        """``get_kind_display()``, kept per language (crm.choices): ten on a partner page."""
        return choice_label(EventKind, self.kind)


# ----------------------------------------------------------------------------- attributes


class AttributeTarget(models.TextChoices):
    PARTNER = "partner", _("partner")
    CONTACT = "contact", _("contact")


class AttributeKind(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    BOOLEAN = "boolean", _("yes/no")
    CHOICE = "choice", _("choice")
    MULTIPLE = "multiple", _("multiple choice")


class AttributeDefinitionQuerySet(models.QuerySet):
    def for_target(self, target: str):
        return self.filter(target=target, active=True).order_by("order", "pk")


class AttributeDefinition(models.Model):
    """A user-defined attribute of partners or contacts; values live in their ``attributes``
    JSON under ``key``. Choices are lines of ``value|Hungarian label|English label``."""

    target = models.CharField(_("for"), max_length=10, choices=AttributeTarget.choices)
    key = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Used in imports and exports; letters, digits, hyphens and underscores."),
    )
    label_hu = models.CharField(_("label (Hungarian)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=AttributeKind.choices)
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("For choice types: one per line, as value|Hungarian label|English label."),
    )
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    objects = AttributeDefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["target", "order", "pk"]
        verbose_name = _("user-defined attribute")
        verbose_name_plural = _("user-defined attributes")
        constraints = [
            models.UniqueConstraint(fields=["target", "key"], name="partners_attribute_key")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return bilingual(self.label_hu, self.label_en)

    def choice_list(self) -> list[tuple[str, str]]:
        """(value, label in the current language) pairs."""
        pairs = []
        for line in self.choices.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                continue
            hu = parts[1] if len(parts) > 1 and parts[1] else parts[0]
            en = parts[2] if len(parts) > 2 else ""
            pairs.append((parts[0], bilingual(hu, en)))
        return pairs

    def clean(self):
        if self.kind in (AttributeKind.CHOICE, AttributeKind.MULTIPLE) and not self.choice_list():
            raise ValidationError({"choices": _("A choice attribute needs at least one choice.")})
        values = [value for value, _label in self.choice_list()]
        if len(values) != len(set(values)):
            raise ValidationError({"choices": _("Each choice value may appear only once.")})


# ----------------------------------------------------------------------------- contacts


class ContactType(models.Model):
    """A role a contact plays at a partner (financial, technical, decision maker, …)."""

    name_hu = models.CharField(_("name (Hungarian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    single = models.BooleanField(
        _("only one per partner"),
        default=False,
        help_text=_("A partner may have only one contact of this type."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("contact type")
        verbose_name_plural = _("contact types")

    def __str__(self) -> str:
        return bilingual(self.name_hu, self.name_en)


class ContactQuerySet(models.QuerySet):
    """Contacts are seen and edited by whoever may see and edit their partner, and by their
    responsible user and everybody above them (``scope_contacts``)."""

    def _through_partner(self, user, action: str):
        return scope_contacts(self, user, action)

    def visible_to(self, user):
        return self._through_partner(user, "view")

    def editable_by(self, user):
        return self._through_partner(user, "change")

    def deletable_by(self, user):
        return self._through_partner(user, "change")

    def search(self, text: str, *, restricted: bool = True):
        """Contacts whose name, e-mail or phone contains ``text``."""

        return matching(self, text, restricted=restricted)


CONTACT_SEARCH_TRIGGER = pgtrigger.Trigger(
    name="search_text",
    level=pgtrigger.Row,
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update,
    func="""
        NEW.search_text := lower(public.unaccent(concat_ws(' ', NEW.family_name,
            NEW.given_name, array_to_string(NEW.emails, ' '),
            (SELECT string_agg(regexp_replace(p, '[^0-9]', '', 'g'), ' ')
             FROM unnest(NEW.phones) p))));
        RETURN NEW;
    """,
)


class Language(models.TextChoices):
    HU = "hu", "magyar"
    EN = "en", "English"
    DE = "de", "Deutsch"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["search_text", "updated_at"],
)
class Contact(AuditedModel):
    """A person at a partner. Shown family name first."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="contacts"
    )
    title = models.CharField(_("title"), max_length=30, blank=True, help_text=_("Like dr."))
    family_name = models.CharField(_("family name"), max_length=100, db_collation=HUNGARIAN)
    given_name = models.CharField(
        _("given name"), max_length=100, blank=True, db_collation=HUNGARIAN
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    emails = ArrayField(
        models.EmailField(max_length=254), verbose_name=_("e-mails"), default=list, blank=True
    )
    phones = ArrayField(
        models.CharField(max_length=30), verbose_name=_("phones"), default=list, blank=True
    )
    language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.HU
    )
    types = models.ManyToManyField(
        ContactType,
        verbose_name=_("types"),
        through="ContactRole",
        blank=True,
        related_name="contacts",
    )
    notes = models.TextField(_("notes"), blank=True)
    # Optional: the user who looks after this person; they and everybody above them see the
    # contact beside those who see its partner (ContactQuerySet). No index of its own: the
    # partial one below holds only the contacts that have one.
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responsible_contacts",
        db_index=False,
    )
    attributes = models.JSONField(_("other attributes"), default=dict, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    search_text = models.TextField(default="", editable=False)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            # a partner's contacts by name, and a small scope's contact list
            # (small_scope_contact_page) from the index alone
            models.Index(
                fields=["partner", "family_name", "given_name", "id"],
                name="partners_contact_partner",
            ),
            models.Index(fields=["family_name", "given_name", "id"], name="partners_contact_name"),
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="partners_contact_search"),
            # "starts with" as one types, in order (the search box's first answers): byte
            # order ("C"), so that one index range gives both the prefix and the order
            models.Index(SEARCH_ORDER, "id", name="partners_contact_prefix"),
            GinIndex(OpClass("attributes", name="jsonb_path_ops"), name="partners_contact_attrs"),
            # the contacts seen through their responsible user (scope_contacts,
            # small_scope_contact_page) and the list's filter: partial, so the common case
            # (nobody responsible) costs an empty index and no write
            models.Index(
                fields=["responsible", "family_name", "given_name", "id"],
                name="partners_contact_responsible",
                condition=Q(responsible__isnull=False),
            ),
        ]
        triggers = [CONTACT_SEARCH_TRIGGER, *search_index.CONTACT_TRIGGERS]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        """Hungarian order: title, family name, given name."""
        return " ".join(p for p in (self.title, self.family_name, self.given_name) if p)

    @property
    def email(self) -> str:
        return self.emails[0] if self.emails else ""


class ContactRole(models.Model):
    """A contact's type at its partner. ``single`` copies the type's rule so that the database
    itself refuses a second contact of a single-only type (partial unique index)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="roles")
    type = models.ForeignKey(
        ContactType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    single = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("contact type")
        verbose_name_plural = _("contact types")
        constraints = [
            models.UniqueConstraint(fields=["contact", "type"], name="partners_role_unique"),
            models.UniqueConstraint(
                fields=["partner", "type"],
                condition=Q(single=True),
                name="partners_role_single",
                violation_error_message=_("This partner already has a contact of this type."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact}: {self.type}"


def attach_roles(contacts) -> list:
    """``contacts`` as a list, each with its roles and their types as ``role_list``, in one
    query, as ``prefetch_related`` gives them, but without each role pointing back at its
    contact: a page of contacts leaves no reference cycles behind (crm/garbage.py)."""
    contacts = list(contacts)
    by_pk = {}
    for contact in contacts:
        contact.role_list = []
        by_pk[contact.pk] = contact
    if by_pk:
        roles = ContactRole.objects.filter(contact_id__in=by_pk).select_related("type")
        for role in roles.order_by("pk"):
            by_pk[role.contact_id].role_list.append(role)
    return contacts


# ----------------------------------------------------------------------------- GDPR


class ConsentSource(models.TextChoices):
    FORM = "form", _("entered by staff")
    IMPORT = "import", _("import")
    SYNC = "sync", _("synchronisation")
    EVENT = "event", _("event registration")
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    PAPER = "paper", _("on paper")


class Consent(models.Model):
    """A consent given or withdrawn by a contact, for one purpose, with date and source."""

    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=20,
        choices=[
            ("newsletter", _("newsletters")),
            ("events", _("event invitations")),
            ("calls", _("sales calls")),
            ("data", _("keeping their data")),
        ],
    )
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded"))
    source = models.CharField(_("source"), max_length=10, choices=ConsentSource.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.contact}: {self.get_purpose_display()}"


class GdprNotice(models.Model):
    """The GDPR notice about the registration, sent once per own company and e-mail address:
    each own company is a data controller of its own and names itself in the notice."""

    company = models.ForeignKey(
        "crm.Company", verbose_name=_("own company"), on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    contact = models.ForeignKey(
        Contact, null=True, on_delete=models.SET_NULL, related_name="gdpr_notices"
    )
    message = models.ForeignKey(
        "crm.Message", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)

    class Meta:
        verbose_name = _("GDPR notice")
        verbose_name_plural = _("GDPR notices")
        constraints = [
            models.UniqueConstraint(
                "company", Upper("email"), name="partners_gdpr_notice_once_per_company"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class ColumnChoice(models.Model):
    """The columns a user chose for a list screen."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    screen = models.CharField(max_length=40)
    columns = ArrayField(models.CharField(max_length=60), default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "screen"], name="partners_columns_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.screen}"


# ----------------------------------------------------------------------------- imports


class ImportKind(models.TextChoices):
    PARTNERS = "partners", _("partners")
    CONTACTS = "contacts", _("contacts")


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("uploaded")
    MAPPED = "mapped", _("checked")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportJob(models.Model):
    """One uploaded CSV or XLSX file on its way: mapping, preview, run (Celery), report."""

    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    company = models.ForeignKey("crm.Company", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)  # column header -> field name ("" = skip)
    key = models.CharField(_("unique key"), max_length=60, default="tax_number")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    error = models.TextField(_("error"), blank=True)
    report = models.FileField(upload_to="imports/reports/%Y/%m/", blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life of a running import (claimed, a chunk written): a job silent for
    # PARTNERS_IMPORT_STALE_MINUTES has lost its worker (tasks.sweep_imports).
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.original_name


class ImportMapping(models.Model):
    """The column mapping a user last used for files with the same header row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    signature = models.CharField(max_length=64)  # sha256 of the normalised header row
    mapping = models.JSONField(default=dict)
    key = models.CharField(max_length=60, default="tax_number")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "signature"], name="partners_import_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"


# The overview tab's related rows in one statement (five queries before): addresses,
# the last five years' figures, external ids, the status in the company and its last events.
def _as_models(model, items: list[dict]) -> list:
    """Model instances from rows read as JSON (``to_jsonb``), each value through its field."""
    fields = [(f.attname, f.column, f) for f in model._meta.concrete_fields]
    return [
        model(**{name: field.to_python(item[column]) for name, column, field in fields})
        for item in items
    ]


def _json_with_decimals(text: str | None):
    """JSON text as Python, numbers with a fraction as Decimal: amounts must not pass through
    float."""
    return None if text is None else json.loads(text, parse_float=Decimal)


def _overview(addresses, financials, external_ids, status, events) -> dict:
    """The overview tab's rows as model instances: addresses, the last five years' figures,
    external ids, the status in the company and its last ten events."""
    return {
        "addresses": _as_models(PartnerAddress, addresses),
        "financials": _as_models(PartnerFinancials, financials),
        "external_ids": _as_models(ExternalId, external_ids),
        "status_row": _as_models(PartnerStatus, [status])[0] if status else None,
        "events": _as_models(BusinessEvent, events),
    }
