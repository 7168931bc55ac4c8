"""The partner list's table: which columns exist and how a cell looks.

The rows are rendered here in Python (``format_html``, which escapes every value) rather than
in the template language: for 50 rows of ten columns Django's templates spent about 40 ms of a
list page's time (measured by bench/partners.py), this takes about one.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import attributes
from .models import STATUS_COLOURS, AttributeTarget, Status


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    render: Callable[[object], str]
    always: bool = False  # shown on a phone too


def _status(p) -> SafeString:
    status = p.company_status or Status.POTENTIAL
    return format_html(
        '<span class="badge text-bg-{}">{}</span>', STATUS_COLOURS[status], Status(status).label
    )


def _owners(p) -> SafeString:
    if not p.owner_names:
        return format_html('<span class="text-body-secondary">{}</span>', _("unassigned"))
    return escape(", ".join(p.owner_names))


def _tags(p) -> SafeString:
    return format_html_join(
        " ",
        '<span class="badge text-bg-{}">{}</span>',
        ((t["colour"], t["name"]) for t in p.tag_list),
    )


# The partner fields the columns read (the rows are loaded with only these).
FIELDS = [
    "name",
    "short_name",
    "tax_number",
    "city",
    "county",
    "industry",
    "phones",
    "emails",
    "headcount",
    "created_at",
    "attributes",
]


COLUMNS = [
    Column("status", gettext_lazy("Status"), _status, always=True),
    Column("tax_number", gettext_lazy("Tax number"), lambda p: escape(p.tax_number or "")),
    Column("city", gettext_lazy("City"), lambda p: escape(p.city)),
    Column("county", gettext_lazy("County"), lambda p: escape(p.get_county_display())),
    Column("owners", gettext_lazy("Owners"), _owners),
    Column("industry", gettext_lazy("Industry"), lambda p: escape(p.industry or "")),
    Column("phones", gettext_lazy("Phones"), lambda p: escape(", ".join(p.phones))),
    Column("emails", gettext_lazy("E-mails"), lambda p: escape(", ".join(p.emails))),
    Column("tags", gettext_lazy("Tags"), _tags),
    Column(
        "headcount",
        gettext_lazy("Headcount"),
        lambda p: escape("" if p.headcount is None else p.headcount),
    ),
    Column(
        "created",
        gettext_lazy("Created"),
        lambda p: escape(date_format(p.created_at, "SHORT_DATE_FORMAT")),
    ),
]
DEFAULT = ["status", "tax_number", "city", "owners"]


def available() -> dict[str, Column]:
    """Every column a user may choose: the built-in ones and the partner attributes."""
    columns = {c.key: c for c in COLUMNS}
    for definition in attributes.definitions(AttributeTarget.PARTNER):
        columns[f"attr:{definition.key}"] = Column(
            f"attr:{definition.key}",
            definition.label,
            lambda p, d=definition: escape(attributes.display(d, (p.attributes or {}).get(d.key))),
        )
    return columns


def render_rows(rows, columns: list[Column]) -> SafeString:
    """The ``<tr>`` elements of the list; ``rows`` are partners with ``company_status``,
    ``owner_names`` and ``tag_list`` (``partners.views._list_rows``)."""
    detail = reverse("partners:detail", args=[0]).removesuffix("0/")
    hidden = ' class="d-none d-md-table-cell small"'
    parts = []
    for p in rows:
        cells = "".join(f"<td{'' if c.always else hidden}>{c.render(p)}</td>" for c in columns)
        short = (
            f'<div class="small text-body-secondary">{escape(p.short_name)}</div>'
            if p.short_name
            else ""
        )
        parts.append(
            f'<tr><td><a href="{detail}{p.pk}/" class="fw-semibold">{escape(p.name)}</a>'
            f"{short}</td>{cells}</tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above went through escape()
