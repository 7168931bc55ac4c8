"""The organisation: users, own companies (tenants), departments, roles, supervisors.

Who may see what is decided in ``crm/scoping.py`` from these rows; ``crm/hierarchy.py``
resolves the supervisor graph.
"""

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey

from .validators import normalise_registration_number, normalise_tax_number


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["last_login", "password"],
)
class User(AbstractUser):
    """A member of staff. Names are shown family name first, as Hungarians write them."""

    current_company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("current company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The own company the user works in now; chosen in the top bar."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def has_perm(self, perm, obj=None) -> bool:
        """Django's answer. Without an object, once the user's permissions are known (the
        request's access profile, ``crm.access.attach``, or ``ModelBackend``'s own cache), they
        answer alone: of the backends (settings.AUTHENTICATION_BACKENDS) only ``ModelBackend``
        grants permissions without an object; axes grants none, guardian only on objects. A
        page asks a dozen times, and Django's loop over the backends cost about 4 % of a
        partner page's time."""
        known = self.__dict__.get("_perm_cache") if obj is None else None
        if known is not None and self.is_active:
            return self.is_superuser or perm in known
        return super().has_perm(perm, obj)

    def get_full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name) if part).strip()

    def __str__(self) -> str:
        return self.get_full_name() or self.username


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Company(TimeStampedModel):
    """An own company (tenant). Company-specific records carry it; partners are shared."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    tax_number = models.CharField(_("tax number"), max_length=13, unique=True)
    registration_number = models.CharField(
        _("company registration number"), max_length=12, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("own company")
        verbose_name_plural = _("own companies")
        ordering = ["name"]
        permissions = [
            ("view_all_company_records", _("See every record of the current company")),
            ("export_data", _("Export lists and reports")),
            ("run_query_builder", _("Run the query builder")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        for field, normalise in (
            ("tax_number", normalise_tax_number),
            ("registration_number", normalise_registration_number),
        ):
            value = getattr(self, field)
            if value:
                try:
                    setattr(self, field, normalise(value))
                except ValidationError as exc:
                    errors[field] = exc.messages
        if errors:
            raise ValidationError(errors)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Department(MPTTModel):
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=200)
    parent = TreeForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class MPTTMeta:
        order_insertion_by = ["name"]

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "parent", "name"],
                nulls_distinct=False,
                name="department_unique_name_under_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.parent_id and self.parent.company_id != self.company_id:
            raise ValidationError(
                {"parent": _("The parent department belongs to another company.")}
            )


class Role(models.Model):
    """A role in approvals and workflows (preparer, reviewer, approver, ...)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Membership(TimeStampedModel):
    """A user belongs to an own company; their rights apply only in the companies they belong to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.company}"

    def clean(self):
        if self.department_id and self.department.company_id != self.company_id:
            raise ValidationError({"department": _("The department belongs to another company.")})


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class SupervisorLink(models.Model):
    """``supervisor`` is a manager of ``user``. A user may have several supervisors."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="supervisor_links",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.CASCADE,
        related_name="subordinate_links",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("supervisor")
        verbose_name_plural = _("supervisors")
        constraints = [
            models.UniqueConstraint(fields=["user", "supervisor"], name="supervisor_link_unique"),
            models.CheckConstraint(
                condition=~Q(user=models.F("supervisor")), name="supervisor_link_not_self"
            ),
        ]
        indexes = [models.Index(fields=["supervisor", "user"])]

    def __str__(self) -> str:
        return _("%(supervisor)s supervises %(user)s") % {
            "supervisor": self.supervisor,
            "user": self.user,
        }

    def clean(self):
        from .hierarchy import would_create_cycle

        if not (self.user_id and self.supervisor_id):
            return
        if self.user_id == self.supervisor_id:
            raise ValidationError({"supervisor": _("Nobody can be their own supervisor.")})
        if would_create_cycle(user_id=self.user_id, supervisor_id=self.supervisor_id):
            raise ValidationError(
                {
                    "supervisor": _(
                        "%(supervisor)s already reports to %(user)s (directly or through"
                        " others), so this link would make a circle."
                    )
                    % {"supervisor": self.supervisor, "user": self.user}
                }
            )


class Visibility(models.Model):
    """The visibility index (``crm/sql/visibility.sql``): which viewer may see which record of
    which scoped table through the supervisor hierarchy. Written only by database triggers."""

    pk = models.CompositePrimaryKey("viewer_id", "tab", "company_id", "record_id", "owner_id")
    viewer_id = models.BigIntegerField()
    tab = models.BigIntegerField()
    company_id = models.BigIntegerField()
    record_id = models.BigIntegerField()
    owner_id = models.BigIntegerField()

    class Meta:
        managed = False
        db_table = "crm_visibility"

    def __str__(self) -> str:
        return f"{self.viewer_id} sees {self.tab}:{self.record_id}"


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task (one row per queue)."""

    queue = models.CharField(_("queue"), max_length=100, unique=True)
    beat_at = models.DateTimeField(_("last heartbeat"))
    hostname = models.CharField(_("worker"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.queue}: {self.beat_at:%Y-%m-%d %H:%M:%S}"


# History of models we do not own: permission groups, their functions, users' groups.
GroupEvent = pghistory.create_event_model(
    Group,
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="GroupEvent",
    app_label="crm",
)
GroupPermissionEvent = pghistory.create_event_model(
    Group.permissions.through,
    pghistory.InsertEvent(),
    pghistory.DeleteEvent(),
    model_name="GroupPermissionEvent",
    app_label="crm",
)
UserGroupEvent = pghistory.create_event_model(
    User.groups.through,
    pghistory.InsertEvent(),
    pghistory.DeleteEvent(),
    model_name="UserGroupEvent",
    app_label="crm",
)


# The messaging outbox lives in crm/messaging/; its models belong to this app.
from .messaging.models import (  # noqa: E402, F401
    Message,
    MessageAttachment,
    MessageEvent,
    MessageTemplate,
    Suppression,
)
