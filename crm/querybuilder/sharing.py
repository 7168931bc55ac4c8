"""Saved queries' write operations and fetch helpers: create, update (with the version
check), copy, share, delete. Every spec is checked by the engine (``engine.build`` as the
acting user) before it is stored, so a failed edit never replaces a working query.

Fetch helpers answer 404 for "missing" and "not yours to see" alike, and 403 for a query the
user sees but may not change (only its owner may)."""

import json

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from crm.scoping import current_company_id
from crm.versioning import save_versioned

from .models import SavedQuery

MAX_SPEC_BYTES = 200_000


class SpecError(ValidationError):
    """A spec the engine refused: ``message`` and ``part`` (the part of the query at fault)."""

    def __init__(self, message: str, part: str = ""):
        super().__init__(f"{part}: {message}" if part else message, code="spec")
        self.reason = message
        self.part = part


# --- fetch helpers --------------------------------------------------------------------------


def get_visible_query(user, pk) -> SavedQuery:
    try:
        return SavedQuery.objects.visible_to(user).select_related("owner").get(pk=int(pk))
    except (SavedQuery.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def get_editable_query(user, pk, *, action: str = "change") -> SavedQuery:
    """The query if ``user`` may ``action`` (change or delete) it; 404 when they do not see
    it, 403 when they see it but it is not theirs."""
    query = get_visible_query(user, pk)
    if not SavedQuery.objects.editable_by(user, action).filter(pk=query.pk).exists():
        raise PermissionDenied
    return query


# --- the spec -------------------------------------------------------------------------------


def parse_spec(raw) -> dict:
    """The spec from the browser (a JSON text or a dict) as a dict; ``SpecError`` otherwise."""
    if isinstance(raw, dict):
        return raw
    if not raw or not str(raw).strip():
        raise SpecError(_("The query is empty."))
    if len(str(raw)) > MAX_SPEC_BYTES:
        raise SpecError(_("The query is too long."))
    try:
        spec = json.loads(raw)
    except (TypeError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        raise SpecError(_("The query could not be read (it is not valid JSON).")) from None
    if not isinstance(spec, dict):
        raise SpecError(_("The query could not be read (it is not valid JSON)."))
    return spec


def check_spec(spec: dict, user) -> None:
    """Builds the query as ``user`` (the engine refuses unknown or hidden fields, bad values):
    ``SpecError`` with the engine's message and the part at fault."""
    from .engine import QueryError, build

    try:
        build(spec, user)
    except QueryError as err:
        raise SpecError(str(err), str(getattr(err, "part", "") or "")) from None


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the query a name.")})
    if len(name) > SavedQuery._meta.get_field("name").max_length:
        raise ValidationError({"name": _("The name is too long.")})
    return name


# --- write operations -----------------------------------------------------------------------


def saved_query_create(*, user, name: str, description: str = "", spec) -> SavedQuery:
    """A new query of ``user`` in the company they work in now."""
    if not user.has_perm("querybuilder.add_savedquery"):
        raise PermissionDenied
    company_id = current_company_id(user)
    if company_id is None:
        raise PermissionDenied
    spec = parse_spec(spec)
    name = _clean_name(name)
    check_spec(spec, user)
    with transaction.atomic():
        query = SavedQuery(
            name=name,
            description=(description or "").strip(),
            spec=spec,
            owner=user,
            company_id=company_id,
            created_by=user,
        )
        query.full_clean()
        query.save()
    return query


def saved_query_update(
    *, user, query: SavedQuery, expected_version: int, name: str, description: str = "", spec
) -> SavedQuery:
    """Changes the owner's query if nobody saved it meanwhile (``crm.versioning.Conflict``
    otherwise). The row is written only after the new spec built: a refused spec leaves the
    saved query exactly as it was."""
    if not SavedQuery.objects.editable_by(user).filter(pk=query.pk).exists():
        raise PermissionDenied
    spec = parse_spec(spec)
    name = _clean_name(name)
    check_spec(spec, user)
    query.name, query.description, query.spec = name, (description or "").strip(), spec
    save_versioned(query, expected_version=expected_version, fields=["name", "description", "spec"])
    return query


def copy_name(name: str) -> str:
    suffix = " " + _("(copy)")
    limit = SavedQuery._meta.get_field("name").max_length - len(suffix)
    return name[:limit] + suffix


def saved_query_copy(*, user, query: SavedQuery) -> SavedQuery:
    """The user's own, private copy of a query they see (a built-in one, a shared one)."""
    if not user.has_perm("querybuilder.add_savedquery"):
        raise PermissionDenied
    if not SavedQuery.objects.visible_to(user).filter(pk=query.pk).exists():
        raise Http404
    # a superuser outside every company copies into the query's company
    company_id = current_company_id(user) or (user.is_superuser and query.company_id) or None
    if company_id is None:
        raise PermissionDenied
    from .builtins import translated

    translated(query)  # a built-in one's name in the user's language
    return SavedQuery.objects.create(
        name=copy_name(query.name),
        description=query.description,
        spec=query.spec,
        owner=user,
        company_id=company_id,
        created_by=user,
    )


def shareable_users(user, query: SavedQuery):
    """Whom the query may be shared with: the active members of its company but its owner."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__company_id=query.company_id)
        .exclude(pk=query.owner_id)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def shareable_groups(user, query: SavedQuery):
    """The permission groups (they are the same in every company; sharing with one reaches its
    members who work in the query's company)."""
    return Group.objects.order_by("name")


def saved_query_share(*, user, query: SavedQuery, users, groups) -> SavedQuery:
    """Shares the owner's query with exactly ``users`` and ``groups`` (empty: private)."""
    if not SavedQuery.objects.editable_by(user).filter(pk=query.pk).exists():
        raise PermissionDenied
    allowed_users = set(shareable_users(user, query).values_list("pk", flat=True))
    user_ids = [u.pk for u in users]
    if not set(user_ids) <= allowed_users:
        raise ValidationError({"users": _("Share only with colleagues of this company.")})
    with transaction.atomic():
        query.shared_with_users.set(user_ids)
        query.shared_with_groups.set([g.pk for g in groups])
    return query


def saved_query_delete(*, user, query: SavedQuery) -> None:
    if not SavedQuery.objects.deletable_by(user).filter(pk=query.pk).exists():
        raise PermissionDenied
    query.delete()


def schedule_save(*, user, query: SavedQuery, form) -> "ScheduledReport":  # noqa: F821
    """A new scheduled report of ``query`` in the user's current company (the form's data)."""
    if not user.has_perm("querybuilder.add_scheduledreport"):
        raise PermissionDenied
    company_id = current_company_id(user)
    if company_id is None or not SavedQuery.objects.visible_to(user).filter(pk=query.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        schedule = form.save(commit=False)
        schedule.saved_query = query
        schedule.company_id = company_id
        schedule.created_by = user
        schedule.full_clean()
        schedule.save()
        form.save_m2m()
    return schedule


def get_editable_schedule(user, pk) -> "ScheduledReport":  # noqa: F821
    """A scheduled report the user may change (its maker, or a superuser); 404 for missing,
    not visible and not theirs alike."""
    from .models import ScheduledReport

    found = (
        ScheduledReport.objects.editable_by(user, "change")
        .filter(pk=pk)
        .select_related("saved_query", "company")
        .first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise Http404
    return found


def schedule_update(*, user, schedule, form, params: dict, expected_version: int) -> None:
    """Saves the edit form's fields, recipients and the asked parameters' values, if nobody
    changed the schedule since ``expected_version`` (else ``Conflict``, nothing saved)."""
    from .models import ScheduledReport

    if not ScheduledReport.objects.editable_by(user, "change").filter(pk=schedule.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        schedule.params = params
        save_versioned(
            schedule,
            expected_version=expected_version,
            fields=["frequency", "weekday", "day_of_month", "active", "params"],
        )
        schedule.recipients.set(form.cleaned_data["recipients"])
