"""The change history of partners and contacts as people read it: every changed field by its
label, with the values a user would recognise in their language (the referenced record's name
instead of an id, a choice's label instead of its code, yes/no, lists joined, user-defined
attributes by their labels, dates in the language's format), plus a partner's tags, addresses
and owners coming and going.

The events are kept by django-pghistory (database triggers). A page reads a fixed number of
queries however many events it shows: the events of each kind, then one query per referenced
model for the whole page.
"""

import datetime
from collections import Counter, defaultdict

from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext as _
from pghistory.models import Events

from crm.choices import choice_label
from crm.dates import shown

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

# Columns people do not read: keys, search texts, version counters, timestamps of the row.
HIDDEN = frozenset({"id", "search_text", "version", "updated_at"})


class _Names:
    """Names of referenced records, asked for while reading the events and looked up together:
    one query per referenced model for the whole page."""

    def __init__(self):
        self._wanted: dict[type[models.Model], set] = defaultdict(set)
        self._names: dict[type[models.Model], dict] = {}

    def want(self, model, pk) -> None:
        if pk is not None:
            self._wanted[model].add(pk)

    def load(self) -> None:
        for model, pks in self._wanted.items():
            known = self._names.setdefault(model, {})
            missing = pks - known.keys()
            if missing:
                rows = model._base_manager.filter(pk__in=missing)
                known.update((row.pk, str(row)) for row in rows)
        self._wanted.clear()

    def get(self, model, pk) -> str | None:
        if pk is None:
            return None
        name = self._names.get(model, {}).get(pk)
        if name is None:
            return _("deleted record (#%(id)s)") % {"id": pk}
        return name


def _columns(model) -> dict:
    """column or field name → field, of the concrete fields people read."""
    fields = {}
    for field in model._meta.concrete_fields:
        if field.name in HIDDEN or field.primary_key:
            continue
        fields[field.column] = field
        fields[field.name] = field
    return fields


def _plain(value) -> str | None:
    """A value without a known type (an attribute no longer defined) as text."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v) or '–'}" for k, v in value.items())
    return str(value)


class _Shower:
    """Draws stored values of one page in the current language."""

    def __init__(self, names: _Names, target: str):
        self.names = names
        self.target = target
        self.datetime = shown("SHORT_DATETIME_FORMAT")
        self.date = shown("SHORT_DATE_FORMAT")
        self._definitions = None

    def definitions(self) -> dict[str, AttributeDefinition]:
        """The target's attribute definitions by key, inactive ones too (read once a page)."""
        if self._definitions is None:
            self._definitions = {
                d.key: d for d in AttributeDefinition.objects.filter(target=self.target)
            }
        return self._definitions

    def value(self, field, value) -> str | None:
        if value is None or value == "" or value == []:
            return None
        if field.many_to_one:
            return self.names.get(field.related_model, value)
        if field.choices:
            label = dict(field.flatchoices).get(value, value)
            return str(label)
        if isinstance(field, models.BooleanField):
            return _("yes") if value else _("no")
        if isinstance(field, ArrayField):
            return ", ".join(str(v) for v in value) or None
        if isinstance(field, models.DateTimeField | models.DateField):
            try:
                if isinstance(field, models.DateTimeField):
                    return self.datetime(datetime.datetime.fromisoformat(value))
                return self.date(datetime.date.fromisoformat(value))
            except (TypeError, ValueError):
                return str(value)
        return _plain(value)

    def attribute_changes(self, before, after) -> list[dict]:
        """One change per user-defined attribute whose value differs, by its label."""
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
                shown_before, shown_after = _plain(before.get(key)), _plain(after.get(key))
            else:
                label = definition.label
                shown_before = attributes.display(definition, before.get(key)) or None
                shown_after = attributes.display(definition, after.get(key)) or None
            changes.append({"field": label, "before": shown_before, "after": shown_after})
        return changes

    def changes(self, fields: dict, event) -> list[dict]:
        """The readable changes of one pghistory event (``Events`` row) of a model."""
        diff = event.pgh_diff or {}
        source = diff if diff else (event.pgh_data or {})
        changes = []
        for column, raw in source.items():
            field = fields.get(column)
            if field is None:  # pghistory's own columns and internal ones
                continue
            before, after = raw if diff else (None, raw)
            if field.name == "attributes":
                changes += self.attribute_changes(before, after)
                continue
            shown_before, shown_after = self.value(field, before), self.value(field, after)
            if shown_before is None and shown_after is None:
                continue
            changes.append(
                {"field": field.verbose_name, "before": shown_before, "after": shown_after}
            )
        return changes

    def want(self, fields: dict, event) -> None:
        """Notes the ids that ``changes`` will name."""
        diff = event.pgh_diff or {}
        source = diff if diff else (event.pgh_data or {})
        for column, raw in source.items():
            field = fields.get(column)
            if field is not None and field.many_to_one:
                for pk in raw if diff else [raw]:
                    self.names.want(field.related_model, pk)


def _who(names: _Names, metadata: dict | None) -> str:
    user_id = (metadata or {}).get("user")
    if user_id is None:
        return _("system")
    return names.get(get_user_model(), user_id)


def _record_rows(obj, *, names: _Names, target: str, limit: int) -> tuple[list[dict], _Shower]:
    """Rows of the record's own events (newest first), drawn after ``names.load()`` by the
    returned function."""
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    shower = _Shower(names, target)
    fields = _columns(type(obj))
    for event in events:
        shower.want(fields, event)
        names.want(get_user_model(), (event.pgh_context or {}).get("user"))
    return [(event, fields) for event in events], shower


def _draw_records(pending, shower: _Shower, names: _Names) -> list[dict]:
    rows = []
    for event, fields in pending:
        context = event.pgh_context or {}
        changes = shower.changes(fields, event)
        if event.pgh_label == "update" and not changes:
            continue  # only internal columns changed (a version counter)
        rows.append(
            {
                "when": event.pgh_created_at,
                "action": event.pgh_label,
                "who": _who(names, context),
                "reason": context.get("reason", ""),
                "changes": changes,
                "key": (event.pgh_context_id, event.pgh_created_at),
            }
        )
    return rows


def contact_history(contact: Contact, *, limit: int = 50) -> list[dict]:
    """The contact's recorded changes as people read them, newest first."""
    names = _Names()
    pending, shower = _record_rows(
        contact, names=names, target=AttributeTarget.CONTACT, limit=limit
    )
    names.load()
    rows = _draw_records(pending, shower, names)
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
    names = _Names()
    user_model = get_user_model()
    pending, shower = _record_rows(
        partner, names=names, target=AttributeTarget.PARTNER, limit=limit
    )
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

    rows = _draw_records(pending, shower, names)
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
                "who": _who(names, metadata),
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
                "who": _who(names, metadata),
                "reason": metadata.get("reason", ""),
                "changes": [{"field": _("owner"), "after": f"{event.user} ({event.company})"}],
            }
        )
    rows = [row for row in rows if row["changes"] or row["action"] != "update"]
    rows.sort(key=lambda row: row["when"], reverse=True)
    return rows[:limit]
