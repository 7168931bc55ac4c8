"""Access scoping: the one mechanism every list, detail, search, export and report starts from.

``Model.objects.visible_to(user)`` and ``Model.objects.editable_by(user)`` combine:

1. **functions**: the model's Django permissions (``view_<model>`` / ``change_<model>``) that
   the user's permission groups give (groups combine with OR);
2. **tenant**: only rows of the user's current own company, and only if they belong to it;
3. **ownership and hierarchy**: rows owned by the user or by any subordinate at any depth;
   with the "see all in company" function (``crm.view_all_company_records`` or the model's
   own ``view_all_<model>``), every row of the company;
4. **explicit grants**: object permissions of django-guardian, to the user or their groups.

Superusers see everything; deactivated and anonymous users nothing. ``get_visible_or_404``
and ``get_editable_or_403`` are the fetch helpers: "missing" and "not yours" look the same.
"""

from dataclasses import dataclass

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Cast
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .hierarchy import scope_owner_ids
from .models import Company

SEE_ALL = "crm.view_all_company_records"


def company_ids(user) -> frozenset[int]:
    """The own companies the user belongs to (active ones), cached on the user object."""
    cached = getattr(user, "_crm_company_ids", None)
    if cached is None:
        cached = frozenset(
            user.memberships.filter(company__is_active=True).values_list("company_id", flat=True)
        )
        user._crm_company_ids = cached
    return cached


def current_company_id(user) -> int | None:
    """The company the user works in now: their chosen one if they still belong to it, else
    the first of theirs by name; None for a user without any company."""
    if not getattr(user, "is_authenticated", False):
        return None
    mine = company_ids(user)
    if user.current_company_id in mine:
        return user.current_company_id
    if not mine:
        return None
    known = getattr(user, "_crm_companies", None)  # (pk, name) by name: crm.access
    if known:
        return known[0][0]
    first = Company.objects.filter(pk__in=mine).order_by("name").values_list("pk", flat=True)
    return first.first()


def _granted_pks(user, model, action: str):
    """A subquery of the primary keys of ``model`` rows shared with ``user`` (or a group of
    theirs) through django-guardian object permissions for ``action``, or None when there is
    no such grant at all (the common case, which keeps the scoped query a plain index scan).
    The answer is cached on the user object, which lives for one request."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    content_type = ContentType.objects.get_for_model(model)
    codename = f"{action}_{model._meta.model_name}"
    cache = user.__dict__.setdefault("_crm_has_grants", {})
    grants = getattr(user, "_crm_grants", None)  # (content type, codename): crm.access
    if codename not in cache and grants is not None:
        cache[codename] = (content_type.pk, codename) in grants
    if cache.get(codename) is False:  # the common case, answered before any query is built
        return None
    by_user = UserObjectPermission.objects.filter(
        user=user, content_type=content_type, permission__codename=codename
    )
    by_group = GroupObjectPermission.objects.filter(
        group__user=user, content_type=content_type, permission__codename=codename
    )
    if codename not in cache:
        cache[codename] = by_user.exists() or by_group.exists()
    if not cache[codename]:
        return None
    pk_field = model._meta.pk
    cast_to = models.BigIntegerField() if isinstance(pk_field, models.AutoField) else pk_field
    return (
        by_user.annotate(obj=Cast("object_pk", cast_to))
        .values("obj")
        .union(by_group.annotate(obj=Cast("object_pk", cast_to)).values("obj"))
    )


@dataclass(frozen=True)
class Scope:
    """What ``user`` may reach of a model for one action, before any SQL is built."""

    everything: bool = False
    company_id: int | None = None
    # None: every owner in the company ("see all"); else these owners' records only.
    owner_ids: frozenset[int] | None = frozenset()
    granted: object = None  # a subquery of shared primary keys, or None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.company_id is None


def scope_for(user, model, action: str) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    company_id = current_company_id(user)
    if company_id is None:
        return Scope()
    opts = model._meta
    may_act = user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
    sees_all = user.has_perm(SEE_ALL) or user.has_perm(
        f"{opts.app_label}.view_all_{opts.model_name}"
    )
    if may_act and sees_all:
        return Scope(company_id=company_id, owner_ids=None)
    return Scope(
        company_id=company_id,
        owner_ids=scope_owner_ids(user) if may_act else frozenset(),
        granted=_granted_pks(user, model, action),
    )


class ScopedQuerySet(models.QuerySet):
    """The queryset of every company-specific, owned business record."""

    def _scoped(self, user, action: str):
        scope = scope_for(user, self.model, action)
        if scope.everything:
            return self.all()
        if scope.nothing:
            return self.none()
        in_company = self.filter(company_id=scope.company_id)
        if scope.owner_ids is None:
            return in_company
        condition = Q(owner_id__in=sorted(scope.owner_ids)) if scope.owner_ids else Q(pk__in=[])
        if scope.granted is not None:
            condition |= Q(pk__in=scope.granted)
        return in_company.filter(condition)

    def visible_to(self, user):
        return self._scoped(user, "view")

    def editable_by(self, user):
        return self._scoped(user, "change")

    def deletable_by(self, user):
        return self._scoped(user, "delete")

    def visible_page(self, user, *, after: int | None = None, size: int = 50) -> list:
        """One keyset page, newest first, of ``self`` ∩ ``visible_to(user)``: ``size + 1``
        rows at most (the extra one tells that a next page exists), in one SQL query.

        For a user who sees by hierarchy, an unfiltered page is read from the visibility index
        (``crm_visibility``, kept by triggers): one ordered index scan of the user's own entries,
        then the rows by primary key, so it costs about the same as the unscoped page whatever
        the size of the team. Filtered querysets, shared records and "see all" users take the
        plain ``visible_to`` query."""
        scope = scope_for(user, self.model, "view")
        limit = size + 1
        if scope.nothing:
            return []
        hierarchy_only = (
            not scope.everything
            and scope.owner_ids
            and scope.granted is None
            and not self.query.where
        )
        if not hierarchy_only:
            queryset = self.filter(pk__lt=after) if after else self
            return list(queryset.visible_to(user).order_by("-pk")[:limit])
        from .models import Visibility

        entries = Visibility.objects.filter(
            viewer_id=user.pk, tab=table_id(self.model), company_id=scope.company_id
        )
        if after:
            entries = entries.filter(record_id__lt=after)
        # A record with several owners (partners) has an entry per owner: distinct ids.
        page_ids = entries.order_by("-record_id").values("record_id").distinct()[:limit]
        return list(self.filter(pk__in=page_ids).order_by("-pk"))


_TABLE_IDS: dict[str, int] = {}


def table_id(model) -> int:
    """The oid of ``model``'s table, as the visibility triggers record it (TG_RELID)."""
    table = model._meta.db_table
    if table not in _TABLE_IDS:
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::regclass::oid::bigint", [table])
            _TABLE_IDS[table] = cursor.fetchone()[0]
    return _TABLE_IDS[table]


# Statement-level triggers that keep crm_visibility (crm/sql/visibility.sql) in step with the
# rows of every scoped table, in the writing transaction. Bulk writes cost one statement each.
_PAIRS_OF_NEW = (
    "crm_viewer_pairs(ARRAY(SELECT DISTINCT owner_id FROM new_rows)) p ON p.owner_id = n.owner_id"
)
_CHANGED = "(n.owner_id IS DISTINCT FROM o.owner_id OR n.company_id IS DISTINCT FROM o.company_id)"
VISIBILITY_TRIGGERS = [
    pgtrigger.Trigger(
        name="visibility_ins",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=pgtrigger.Referencing(new="new_rows"),
        func=f"""
            INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id)
            SELECT p.viewer_id, TG_RELID::bigint, n.company_id, n.id, n.owner_id
            FROM new_rows n JOIN {_PAIRS_OF_NEW}
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        """,  # noqa: S608 - constant SQL, no user input
    ),
    pgtrigger.Trigger(
        name="visibility_upd",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Update,
        referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
        func=f"""
            DELETE FROM crm_visibility v
            USING old_rows o JOIN new_rows n ON n.id = o.id
            WHERE v.tab = TG_RELID::bigint AND v.record_id = o.id AND {_CHANGED};
            INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id)
            SELECT p.viewer_id, TG_RELID::bigint, n.company_id, n.id, n.owner_id
            FROM new_rows n JOIN old_rows o ON o.id = n.id AND {_CHANGED}
            JOIN {_PAIRS_OF_NEW}
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
        func="""
            DELETE FROM crm_visibility v USING old_rows o
            WHERE v.tab = TG_RELID::bigint AND v.record_id = o.id;
            RETURN NULL;
        """,
    ),
]


class AuditedModel(models.Model):
    """Audit columns of every business record (created, updated, by whom) and a version for
    lost-update detection (see ``crm/versioning.py``)."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class ScopedModel(AuditedModel):
    """Base of every company-specific business record: tenant, owner, audit columns and a
    version for lost-update detection (see ``crm/versioning.py``)."""

    # No index of its own: the two scoping indexes below lead with it.
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True
        # Subclasses that declare a Meta inherit these: class Meta(ScopedModel.Meta).
        triggers = VISIBILITY_TRIGGERS
        indexes = [
            # the scoped page: one ordered scan per visible owner
            models.Index(fields=["company", "owner", "-id"], name="%(app_label)s_%(class)s_own"),
            # the unscoped ("see all in company") page
            models.Index(fields=["company", "-id"], name="%(app_label)s_%(class)s_co"),
        ]


def get_visible_or_404(queryset_or_model, user, **lookup):
    """The record if ``user`` may see it; 404 for both missing and not visible."""
    manager = getattr(queryset_or_model, "objects", queryset_or_model)
    try:
        return manager.visible_to(user).get(**lookup)
    except manager.model.DoesNotExist:
        raise Http404 from None


def reaches_as_for_viewing(user, model, action: str) -> bool:
    """True when ``user`` reaches exactly the rows of ``model`` for ``action`` that they see
    (the same company and owners, no grants one by one): then a visible row is known to be
    editable without a second query."""
    view, other = scope_for(user, model, "view"), scope_for(user, model, action)
    return view.granted is None and other.granted is None and view == other and not view.nothing


def get_editable_or_403(queryset_or_model, user, *, action: str = "change", **lookup):
    """404 if not visible; 403 if visible but not editable (or deletable) by ``user``."""
    obj = get_visible_or_404(queryset_or_model, user, **lookup)
    manager = getattr(queryset_or_model, "objects", queryset_or_model)
    if reaches_as_for_viewing(user, manager.model, action):
        return obj
    scoped = manager.deletable_by(user) if action == "delete" else manager.editable_by(user)
    if not scoped.filter(pk=obj.pk).exists():
        raise PermissionDenied
    return obj
