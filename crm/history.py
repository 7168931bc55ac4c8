"""The change history of any tracked record as people read it: every changed field by its
label, with values a user recognises in their language (the referenced record's name instead
of an id, a choice's label instead of its code, yes/no, lists joined, dates and times in the
language's format and the local time zone); keys, search texts and version counters left out.

The events are kept by django-pghistory (database triggers). A page reads a fixed number of
queries however many events it shows: the events, then one query per referenced model.
Apps draw richer histories on top of this (partners/history.py adds user-defined attributes,
tags, addresses and owners).
"""

import datetime
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext as _
from pghistory.models import Events

from .dates import shown

# Columns people do not read: keys, search texts, version counters, timestamps of the row,
# and the tree columns of django-mptt.
HIDDEN = frozenset(
    {"id", "search_text", "version", "updated_at", "lft", "rght", "tree_id", "level"}
)


class Names:
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


def columns(model) -> dict:
    """column or field name → field, of the concrete fields people read."""
    fields = {}
    for field in model._meta.concrete_fields:
        if field.name in HIDDEN or field.primary_key:
            continue
        fields[field.column] = field
        fields[field.name] = field
    return fields


def plain(value) -> str | None:
    """A value without a known type as text: yes/no, lists joined, mappings as key: value."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(plain(v) or "–" for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {plain(v) or '–'}" for k, v in value.items())
    return str(value)


class Shower:
    """Draws the stored values of one page's events in the current language."""

    def __init__(self, names: Names):
        self.names = names
        self.datetime = shown("SHORT_DATETIME_FORMAT")
        self.date = shown("SHORT_DATE_FORMAT")

    def value(self, field, value) -> str | None:
        if value is None or value == "" or value == []:
            return None
        if field.many_to_one:
            return self.names.get(field.related_model, value)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
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
        return plain(value)

    def field_changes(self, field, before, after) -> list[dict]:
        """The readable change of one field (a list: a field may stand for several)."""
        shown_before, shown_after = self.value(field, before), self.value(field, after)
        if shown_before is None and shown_after is None:
            return []
        return [{"field": field.verbose_name, "before": shown_before, "after": shown_after}]

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
            changes += self.field_changes(field, before, after)
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


def who(names: Names, metadata: dict | None) -> str:
    user_id = (metadata or {}).get("user")
    if user_id is None:
        return _("system")
    return names.get(get_user_model(), user_id)


def record_rows(obj, *, shower: Shower, limit: int) -> list[tuple]:
    """The record's own events (newest first), to draw after ``shower.names.load()``."""
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    fields = columns(type(obj))
    for event in events:
        shower.want(fields, event)
        shower.names.want(get_user_model(), (event.pgh_context or {}).get("user"))
    return [(event, fields) for event in events]


def draw_records(pending, shower: Shower) -> list[dict]:
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
                "who": who(shower.names, context),
                "reason": context.get("reason", ""),
                "changes": changes,
                "key": (event.pgh_context_id, event.pgh_created_at),
            }
        )
    return rows


def history_rows(obj, *, limit: int) -> list[dict]:
    """The recorded changes of ``obj``, newest first, as people read them."""
    shower = Shower(Names())
    pending = record_rows(obj, shower=shower, limit=limit)
    shower.names.load()
    rows = draw_records(pending, shower)
    for row in rows:
        del row["key"]
    return rows
