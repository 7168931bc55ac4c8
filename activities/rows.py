"""Activity rows drawn in Python: the timeline's and the lists' table rows and the home page's
panel items. The template language spent about 60 µs on each row (seven cells, four
properties, two dates); a page of twenty rows and three panels of ten paid for it on every
request. Same markup as before, every value escaped (``crm.html.esc``); the look stays in
``crm.css`` and Bootstrap classes."""

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from crm.choices import choice_labels
from crm.dates import shown
from crm.html import esc
from crm.links import record_url

from .models import Kind, Outcome


def _state_badges(a, outcomes: dict) -> str:
    html = f'<span class="badge text-bg-{a.state_colour}">{esc(a.state_label)}</span>'
    if a.outcome:
        outcome = esc(outcomes.get(a.outcome, a.outcome))
        html += f' <span class="badge text-bg-{a.outcome_colour}">{outcome}</span>'
    return html


def table_rows(rows, *, show_partner: bool) -> str:
    """``<tr>`` rows: start, type, subject (linked), partner (when asked; "internal" for an
    internal task), contact, handler, state and outcome."""
    moment, outcomes = shown("SHORT_DATETIME_FORMAT"), choice_labels(Outcome)
    internal = _("Internal")
    parts = []
    for a in rows:
        partner = ""
        if show_partner and a.partner_id:
            partner = (
                f'<td><a href="{record_url("partners:detail", a.partner_id)}">'
                f"{esc(a.partner.name)}</a></td>"
            )
        elif show_partner:  # an internal task
            partner = f'<td class="text-body-secondary">{esc(internal)}</td>'

        contact = esc(a.contact.full_name) if a.contact_id else ""
        parts.append(
            "<tr>"
            f'<td class="text-nowrap">{esc(moment(a.starts_at))}</td>'
            f'<td><i class="bi bi-{esc(a.type.icon)}" aria-hidden="true"></i>'
            f" {esc(a.type.name)}</td>"
            f'<td><a href="{record_url("activities:detail", a.pk)}">{esc(a.subject)}</a></td>'
            f"{partner}<td>{contact}</td><td>{esc(a.owner)}</td>"
            f"<td>{_state_badges(a, outcomes)}</td></tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def panel_items(rows) -> str:
    """``<li>`` items of a home page panel: type icon, due day or start, subject (linked),
    partner (none for an internal task) and state."""
    due = _("due")
    moment, day = shown("SHORT_DATETIME_FORMAT"), shown("SHORT_DATE_FORMAT")
    parts = []
    for a in rows:
        if a.deadline and a.kind == Kind.TASK:
            when = f"{esc(due)} {esc(day(a.deadline))}"
        else:
            when = esc(moment(a.starts_at))
        partner = f" · {esc(a.partner.name)}" if a.partner_id else ""  # none: internal
        parts.append(
            f'<li class="mb-1"><i class="bi bi-{esc(a.type.icon)}" aria-hidden="true"></i>'
            f' <span class="text-nowrap">{when}</span>'
            f' <a href="{record_url("activities:detail", a.pk)}">{esc(a.subject)}</a>'
            f"{partner}"
            f' <span class="badge text-bg-{a.state_colour}">{esc(a.state_label)}</span></li>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
