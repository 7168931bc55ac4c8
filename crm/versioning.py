"""Lost-update protection: a stale form never silently overwrites a newer save.

Every ``ScopedModel`` has a ``version`` column. ``save_versioned`` writes with
``UPDATE … WHERE id = %s AND version = <the version the form was loaded with>`` and bumps it;
when no row matches, somebody saved in between and ``Conflict`` tells who and what changed.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone


@dataclass
class Conflict(Exception):  # noqa: N818 - reads better at the call site than ConflictError
    current: models.Model | None
    changed_fields: list[str] = field(default_factory=list)
    changed_by: str = ""


def _history_snapshot(obj: models.Model, version: int):
    """The row as it was at ``version``, from the model's pghistory event table, if tracked."""
    events = getattr(obj, "events", None)
    if events is None or not hasattr(events.model, "version"):
        return None
    return events.filter(version=version).order_by("-pgh_id").first()


def _last_editor(obj: models.Model) -> str:
    events = getattr(obj, "events", None)
    if events is None or not hasattr(events.model, "pgh_id"):  # a relation of another kind
        return ""
    event = events.order_by("-pgh_id").select_related("pgh_context").first()
    user_id = (
        (event.pgh_context.metadata or {}).get("user") if event and event.pgh_context else None
    )
    if not user_id:
        return ""
    user = get_user_model().objects.filter(pk=user_id).first()
    return str(user) if user else ""


def save_versioned(obj: models.Model, *, expected_version: int, fields: list[str]) -> None:
    """Saves ``fields`` of ``obj`` if the row still has ``expected_version``; else ``Conflict``."""
    model = type(obj)
    values = {
        model._meta.get_field(name).attname: getattr(obj, model._meta.get_field(name).attname)
        for name in fields
    }
    values["version"] = F("version") + 1
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values["updated_at"] = timezone.now()
    with transaction.atomic():
        updated = model._base_manager.filter(pk=obj.pk, version=expected_version).update(**values)
        if updated:
            obj.version = expected_version + 1
            return
        current = model._base_manager.filter(pk=obj.pk).first()
    if current is None:
        raise Conflict(current=None)
    before = _history_snapshot(current, expected_version)
    if before is not None:
        changed = [
            name
            for name in fields
            if getattr(before, model._meta.get_field(name).attname, None)
            != getattr(current, model._meta.get_field(name).attname)
        ]
    else:
        changed = [
            name
            for name in fields
            if getattr(current, model._meta.get_field(name).attname)
            != values[model._meta.get_field(name).attname]
        ]
    raise Conflict(current=current, changed_fields=changed, changed_by=_last_editor(current))
