"""The partner list's table: which columns exist and how a cell looks.

The rows are rendered here in Python (``format_html``, which escapes every value) rather than
in the template language: for 50 rows of ten columns Django's templates spent about 40 ms of a
list page's time (measured by bench/partners.py), this takes about one.
"""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from crm.choices import choice_label
from crm.dates import shown
from crm.html import esc
from crm.prepared import prepared_cursor

from . import attributes, reference
from .models import STATUS_COLOURS, AttributeTarget, County, Language, Status


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    render: Callable[[object], str]
    always: bool = False  # shown on a phone too


_badges: dict[tuple[str, str], SafeString] = {}


def _status(p) -> SafeString:
    status = p.company_status or Status.POTENTIAL
    key = (status, get_language())
    badge = _badges.get(key)
    if badge is None:
        badge = _badges[key] = format_html(
            '<span class="badge text-bg-{}">{}</span>', STATUS_COLOURS[status], Status(status).label
        )
    return badge


def _owners(p) -> SafeString:
    if not p.owner_names:
        return format_html('<span class="text-body-secondary">{}</span>', _("unassigned"))
    return esc(", ".join(p.owner_names))


def _tags(p) -> SafeString:
    return format_html_join(
        " ",
        '<span class="badge text-bg-{}">{}</span>',
        ((t["colour"], t["name"]) for t in p.tag_list),
    )


@dataclass(slots=True)
class ListRow:
    """One partner of the list: the fields the columns show, its status in the current
    company, its owners' names there and its tags."""

    pk: int
    name: str
    short_name: str
    tax_number: str | None
    city: str
    county: str
    industry_id: int | None
    phones: list
    emails: list
    headcount: int | None
    created_at: object
    attributes: dict
    company_status: str | None
    owner_names: list
    tag_list: list

    def get_county_display(self) -> str:
        return County(self.county).label if self.county else ""

    @property
    def industry(self):
        return reference.industry_by_id().get(self.industry_id) if self.industry_id else None


# One statement, constant text: the rows by id in the keys' order, with the status, the owners'
# ids and the tags' ids; the owners' names come from the request's list of the company's people
# (crm.access, ordered as User.__str__ sorts), the tags from the cached reference list. No ORM
# query to compile, no model per owner or tag. Prepared once per connection (crm.prepared):
# planning it cost more than running it. The creation time and the user-defined attributes are
# read only when a chosen column shows them (ROWS_SQL_FULL).
_ROWS = """
SELECT p.id, p.name, p.short_name, p.tax_number, p.city, p.county, p.industry_id, p.phones,
       p.emails, p.headcount, {full},
       (SELECT s.status FROM partners_partnerstatus s
         WHERE s.partner_id = p.id AND s.company_id = %(company)s),
       ARRAY(SELECT o.user_id FROM partners_partnerowner o
              WHERE o.partner_id = p.id AND o.company_id = %(company)s),
       ARRAY(SELECT pt.tag_id FROM partners_partner_tags pt WHERE pt.partner_id = p.id)
FROM unnest(%(keys)s::bigint[]) WITH ORDINALITY k(id, n)
JOIN partners_partner p ON p.id = k.id
ORDER BY k.n
"""
ROWS_SQL = _ROWS.format(full="NULL::timestamptz, NULL::jsonb")
ROWS_SQL_FULL = _ROWS.format(full="p.created_at, p.attributes")
# Names of owners who are not among the company's active people (or when the request has no
# list of them), in the order of User.__str__'s parts.
OWNER_NAMES_SQL = """
SELECT u.id, coalesce(nullif(trim(concat_ws(' ', nullif(u.last_name, ''),
                                            nullif(u.first_name, ''))), ''), u.username)
FROM crm_user u WHERE u.id = ANY(%(ids)s)
ORDER BY u.last_name, u.first_name, u.id
"""


def fetch_rows(
    company_id: int | None, keys: list[int], *, people=None, full: bool = True
) -> list[ListRow]:
    """The rows of ``keys`` in their order. ``people``: the (pk, name) of the company's
    people in name order (``crm.access.colleagues``); ``full``: with the creation time and the
    user-defined attributes."""
    if not keys:
        return []
    with prepared_cursor() as cursor:
        cursor.execute(ROWS_SQL_FULL if full else ROWS_SQL, {"company": company_id, "keys": keys})
        rows = cursor.fetchall()
    names = _owner_names(people or (), {o for row in rows for o in row[-2]})
    tags = _tag_values({t for row in rows for t in row[-1]})
    listed = []
    for row in rows:
        item = ListRow(
            *row[:-2],
            owner_names=[names[o][1] for o in sorted(row[-2], key=lambda o: names[o][0])],
            tag_list=[tags[t][1] for t in sorted(row[-1], key=lambda t: tags[t][0])],
        )
        if item.attributes is not None:  # jsonb arrives as its text (Django's loader)
            item.attributes = json.loads(item.attributes)
        listed.append(item)
    return listed


def _owner_names(people, wanted: set[int]) -> dict[int, tuple[int, str]]:
    """(rank, name) by user id for ``wanted``, ranked as the list sorts them."""
    known = {pk: (rank, name) for rank, (pk, name) in enumerate(people) if pk in wanted}
    if wanted <= known.keys():
        return known
    with prepared_cursor() as cursor:
        cursor.execute(OWNER_NAMES_SQL, {"ids": sorted(wanted)})
        return {pk: (rank, name) for rank, (pk, name) in enumerate(cursor.fetchall())}


def _tag_values(wanted: set[int]) -> dict[int, tuple[int, dict]]:
    """(rank, {colour, name}) by tag id, in name order (the cached list's)."""
    known = {
        tag.pk: (rank, {"colour": tag.colour, "name": tag.name})
        for rank, tag in enumerate(reference.tags())
        if tag.pk in wanted
    }
    if wanted <= known.keys():
        return known
    from .models import Tag

    found = Tag.objects.filter(pk__in=wanted).order_by("name", "pk")
    return {
        tag.pk: (rank, {"colour": tag.colour, "name": tag.name}) for rank, tag in enumerate(found)
    }


def _created(row) -> str:
    return esc(shown("SHORT_DATE_FORMAT")(row.created_at))


COLUMNS = [
    Column("status", gettext_lazy("Status"), _status, always=True),
    Column("tax_number", gettext_lazy("Tax number"), lambda p: esc(p.tax_number or "")),
    Column("city", gettext_lazy("City"), lambda p: esc(p.city)),
    Column("county", gettext_lazy("County"), lambda p: esc(choice_label(County, p.county))),
    Column("owners", gettext_lazy("Owners"), _owners),
    Column("industry", gettext_lazy("Industry"), lambda p: esc(p.industry or "")),
    Column("phones", gettext_lazy("Phones"), lambda p: esc(", ".join(p.phones))),
    Column("emails", gettext_lazy("E-mails"), lambda p: esc(", ".join(p.emails))),
    Column("tags", gettext_lazy("Tags"), _tags),
    Column(
        "headcount",
        gettext_lazy("Headcount"),
        lambda p: esc("" if p.headcount is None else p.headcount),
    ),
    Column("created", gettext_lazy("Created"), _created),
]
DEFAULT = ["status", "tax_number", "city", "owners"]


def _with_attributes(columns: list[Column], target: str) -> dict[str, Column]:
    """``columns`` by key, then one column per user-defined attribute of ``target``."""
    chosen = {c.key: c for c in columns}
    for definition in attributes.definitions(target):
        chosen[f"attr:{definition.key}"] = Column(
            f"attr:{definition.key}",
            definition.label,
            lambda r, d=definition: esc(attributes.display(d, (r.attributes or {}).get(d.key))),
        )
    return chosen


def available() -> dict[str, Column]:
    """Every column a user may choose: the built-in ones and the partner attributes."""
    return _with_attributes(COLUMNS, AttributeTarget.PARTNER)


def render_rows(rows, columns: list[Column]) -> SafeString:
    """The ``<tr>`` elements of the list (``ListRow``s)."""
    detail = _detail_url()
    hidden = ' class="d-none d-md-table-cell small"'
    parts = []
    for p in rows:
        cells = "".join(f"<td{'' if c.always else hidden}>{c.render(p)}</td>" for c in columns)
        short = (
            f'<div class="small text-body-secondary">{esc(p.short_name)}</div>'
            if p.short_name
            else ""
        )
        parts.append(
            f'<tr><td><a href="{detail}{p.pk}/" class="fw-semibold">{esc(p.name)}</a>'
            f"{short}</td>{cells}</tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above went through esc()


# --------------------------------------------------------------------------- contacts


def _contact_partner(c) -> str:
    if not getattr(c, "partner_linked", True):  # seen through its responsible user only
        return esc(c.partner.name)
    return f'<a href="{_detail_url()}{c.partner_id}/">{esc(c.partner.name)}</a>'


def _contact_types(c) -> str:
    # the list's prefetched roles as a plain list (partners.views.contact_list), else the rows
    roles = getattr(c, "role_list", None)
    return " ".join(
        f'<span class="badge text-bg-light border">{esc(r.type)}</span>'
        for r in (c.roles.all() if roles is None else roles)
    )


def _detail_url() -> str:
    """The partner page's address without the id, once per script prefix and URL conf (a
    contact list asked ``reverse`` once a row)."""
    return _detail_base(get_script_prefix(), settings.ROOT_URLCONF, get_urlconf())


@functools.lru_cache(maxsize=16)
def _detail_base(_prefix: str, _root: str, _urlconf) -> str:
    return reverse("partners:detail", args=[0]).removesuffix("0/")


CONTACT_COLUMNS = [
    Column("partner", gettext_lazy("Partner"), _contact_partner, always=True),
    Column("position", gettext_lazy("Position"), lambda c: esc(c.position)),
    Column("types", gettext_lazy("Types"), _contact_types),
    Column("email", gettext_lazy("E-mail"), lambda c: esc(c.email)),
    Column(
        "phone",
        gettext_lazy("Phone"),
        lambda c: f'<span class="text-nowrap">{esc(c.phones[0])}</span>' if c.phones else "",
    ),
    Column("emails", gettext_lazy("E-mails"), lambda c: esc(", ".join(c.emails))),
    Column("phones", gettext_lazy("Phones"), lambda c: esc(", ".join(c.phones))),
    Column("language", gettext_lazy("Language"), lambda c: esc(choice_label(Language, c.language))),
    Column("city", gettext_lazy("City"), lambda c: esc(c.partner.city)),
    Column(
        "responsible",
        gettext_lazy("Responsible user"),
        lambda c: esc(str(c.responsible)) if c.responsible_id else "",
    ),
    Column("created", gettext_lazy("Created"), _created),
]
CONTACT_DEFAULT = ["partner", "position", "types", "email", "phone"]


def contact_columns() -> dict[str, Column]:
    """Every column of the contact list: the built-in ones and the contact attributes."""
    return _with_attributes(CONTACT_COLUMNS, AttributeTarget.CONTACT)


def render_contact_rows(rows, columns: list[Column]) -> SafeString:
    """The ``<tr>`` elements of the contact list (contacts with their partner and roles)."""
    detail = reverse("partners:contact-detail", args=[0]).removesuffix("0/")
    hidden = ' class="d-none d-md-table-cell small"'
    shown = ' class="small"'
    parts = []
    for c in rows:
        cells = "".join(
            f"<td{shown if col.always else hidden}>{col.render(c)}</td>" for col in columns
        )
        parts.append(f'<tr><td><a href="{detail}{c.pk}/">{esc(c.full_name)}</a></td>{cells}</tr>')
    return mark_safe("".join(parts))  # noqa: S308 - every value above went through esc()


# The lists whose columns a user may choose: (available columns, default choice).
SCREENS = {
    "partners": (available, DEFAULT),
    "contacts": (contact_columns, CONTACT_DEFAULT),
}
