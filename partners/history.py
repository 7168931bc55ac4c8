"""The change history of partners and contacts as people read it: every changed field by its
label, with the values a user would recognise in their language (the referenced record's name
instead of an id, a choice's label instead of its code, yes/no, lists joined, user-defined
attributes by their labels, dates in the language's format), plus a partner's tags, addresses
and owners coming and going.

The events are kept by django-pghistory (database triggers). A page reads a fixed number of
queries however many events it shows: the events of each kind, then one query per referenced
model for the whole page.
"""

from collections import Counter, defaultdict

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from crm.choices import choice_label
from crm.history import Names, Shower, draw_records, plain, record_rows, who

from . import attributes
from .models import (
    AddressKind,
    AttributeDefinition,
    AttributeTarget,
    Contact,
    Partner,
    PartnerAddress,
    PartnerOwner,
    PartnerTag,
    Tag,
)


class _Shower(Shower):
    """The generic drawing (crm/history.py) with user-defined attributes by their labels."""

    def __init__(self, names: Names, target: str):
        super().__init__(names)
        self.target = target
        self._definitions = None

    def definitions(self) -> dict[str, AttributeDefinition]:
        """The target's attribute definitions by key, inactive ones too (read once a page)."""
        if self._definitions is None:
            self._definitions = {
                d.key: d for d in AttributeDefinition.objects.filter(target=self.target)
            }
        return self._definitions

    def field_changes(self, field, before, after) -> list[dict]:
        if field.name != "attributes":
            return super().field_changes(field, before, after)
        # One change per user-defined attribute whose value differs, by its label.
        before, after = before or {}, after or {}
        keys = [k for k in after if before.get(k) != after[k]]
        keys += [k for k in before if k not in after]
        if not keys:
            return []
        definitions = self.definitions()
        changes = []
        for key in keys:
            definition = definitions.get(key)
            if definition is None:
                label = key
                shown_before, shown_after = plain(before.get(key)), plain(after.get(key))
            else:
                label = definition.label
                shown_before = attributes.display(definition, before.get(key)) or None
                shown_after = attributes.display(definition, after.get(key)) or None
            changes.append({"field": label, "before": shown_before, "after": shown_after})
        return changes


def contact_history(contact: Contact, *, limit: int = 50) -> list[dict]:
    """The contact's recorded changes as people read them, newest first."""
    shower = _Shower(Names(), AttributeTarget.CONTACT)
    pending = record_rows(contact, shower=shower, limit=limit)
    shower.names.load()
    rows = draw_records(pending, shower)
    for row in rows:
        del row["key"]
    return rows


def _address_text(event) -> str:
    return f"{event.postcode} {event.city}, {event.street}".strip(" ,")


def partner_history(
    partner: Partner, *, limit: int = 200, company_id: int | None = None
) -> list[dict]:
    """The partner's own changes, its tags and addresses given and taken away (in the row of
    the edit that did it), and its owners coming and going (with the reason the system gave,
    when it took a partner from an owner), newest first. Owners are per own company: with
    ``company_id``, those of that company only, as the page's header shows them."""
    shower = _Shower(Names(), AttributeTarget.PARTNER)
    names = shower.names
    user_model = get_user_model()
    pending = record_rows(partner, shower=shower, limit=limit)
    newest = ("-pgh_created_at", "-pgh_id")
    owners = PartnerOwner.pgh_event_model.objects.filter(partner_id=partner.pk)
    if company_id is not None:
        owners = owners.filter(company_id=company_id)
    owner_events = list(
        owners.select_related("user", "company", "pgh_context").order_by(*newest)[:limit]
    )
    tag_events = list(
        PartnerTag.pgh_event_model.objects.filter(partner_id=partner.pk)
        .select_related("pgh_context")
        .order_by(*newest)[:limit]
    )
    address_events = list(
        PartnerAddress.pgh_event_model.objects.filter(partner_id=partner.pk)
        .select_related("pgh_context")
        .order_by(*newest)[:limit]
    )
    for event in tag_events:
        names.want(Tag, event.tag_id)
    for event in [*owner_events, *tag_events, *address_events]:
        if event.pgh_context:
            names.want(user_model, event.pgh_context.metadata.get("user"))
    names.load()

    rows = draw_records(pending, shower)
    by_key = {}
    for row in rows:
        by_key.setdefault(row.pop("key"), row)

    def row_for(event) -> dict:
        """The row of the edit that ``event`` was part of (same request, same moment)."""
        key = (event.pgh_context_id, event.pgh_created_at)
        row = by_key.get(key)
        if row is None:
            metadata = event.pgh_context.metadata if event.pgh_context else {}
            row = by_key[key] = {
                "when": event.pgh_created_at,
                "action": "update",
                "who": who(names, metadata),
                "reason": metadata.get("reason", ""),
                "changes": [],
            }
            rows.append(row)
        return row

    # Tags: "+given, −taken away", per edit.
    tag_changes: dict[int, tuple[dict, list, list]] = {}
    for event in reversed(tag_events):
        row = row_for(event)
        given, taken = tag_changes.setdefault(id(row), (row, [], []))[1:]
        name = names.get(Tag, event.tag_id)
        (given if event.pgh_label == "insert" else taken).append(name)
    for row, given, taken in tag_changes.values():
        net_given = [n for n in given if n not in taken]
        net_taken = [n for n in taken if n not in given]
        text = ", ".join([*(f"+{n}" for n in net_given), *(f"−{n}" for n in net_taken)])
        if text:
            row["changes"].append({"field": _("tags"), "after": text, "listed": True})

    # Addresses: an edit replaces them all, so only those that differ are named.
    address_changes: dict[int, tuple] = {}
    for event in reversed(address_events):
        row = row_for(event)
        counts = address_changes.setdefault(id(row), (row, Counter(), Counter(), []))
        item = (event.kind, _address_text(event))
        if event.pgh_label == "insert":
            counts[1][item] += 1
        elif event.pgh_label == "delete":
            counts[2][item] += 1
        else:
            counts[3].append(item)
    for row, added, removed, updated in address_changes.values():
        per_kind = defaultdict(list)
        for kind, text in (added - removed).elements():
            per_kind[kind].append(f"+{text}")
        for kind, text in (removed - added).elements():
            per_kind[kind].append(f"−{text}")
        for kind, text in updated:
            per_kind[kind].append(text)
        for kind, texts in per_kind.items():
            row["changes"].append(
                {
                    "field": choice_label(AddressKind, kind),
                    "after": "; ".join(texts),
                    "listed": True,
                }
            )

    for event in owner_events:
        metadata = event.pgh_context.metadata if event.pgh_context else {}
        rows.append(
            {
                "when": event.pgh_created_at,
                "action": "owner added" if event.pgh_label == "insert" else "owner removed",
                "who": who(names, metadata),
                "reason": metadata.get("reason", ""),
                "changes": [{"field": _("owner"), "after": f"{event.user} ({event.company})"}],
            }
        )
    rows = [row for row in rows if row["changes"] or row["action"] != "update"]
    rows.sort(key=lambda row: row["when"], reverse=True)
    return rows[:limit]
