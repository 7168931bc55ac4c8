"""Saved queries (private or shared with users and permission groups), the audit of every
export, and scheduled reports (issue 23).

A saved query belongs to the own company it was made in: its owner and those it is shared
with see it while they work in that company. The shipped set (``builtins.py``, ``builtin``
set) belongs to no company and no owner, and everyone with the function sees it. Whatever the
query, its rows always come from the engine, scoped with the runner's ``visible_to``: a query
shared by a director and run by a rep shows the rep's rows.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from crm.scoping import AuditedModel, current_company_id

VIEW = "querybuilder.view_savedquery"


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


class SavedQueryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The user's own queries, those shared with them or a group of theirs, in the company
        they work in now, and the built-in ones; nothing without ``view_savedquery``."""
        if not _active(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        if not user.has_perm(VIEW):
            return self.none()
        builtin = Q(company__isnull=True) & ~Q(builtin="")
        company_id = current_company_id(user)
        if company_id is None:
            return self.filter(builtin)
        to_user = SavedQuery.shared_with_users.through.objects.filter(
            savedquery_id=OuterRef("pk"), user_id=user.pk
        )
        to_group = SavedQuery.shared_with_groups.through.objects.filter(
            savedquery_id=OuterRef("pk"), group__user=user
        )
        mine_or_shared = Q(owner_id=user.pk) | Q(Exists(to_user)) | Q(Exists(to_group))
        return self.filter(builtin | (Q(company_id=company_id) & mine_or_shared))

    def editable_by(self, user, action: str = "change"):
        """The user's own queries in the company they work in now (with the function for
        ``action``: change or delete); a superuser's: every query, the built-in ones too."""
        if not _active(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        if not user.has_perm(f"querybuilder.{action}_savedquery"):
            return self.none()
        return self.visible_to(user).filter(owner_id=user.pk)

    def deletable_by(self, user):
        return self.editable_by(user, "delete")

    def with_shared(self):
        """Annotates ``is_shared``: shared with anybody (a user or a group)."""
        through_users = SavedQuery.shared_with_users.through.objects.filter(
            savedquery_id=OuterRef("pk")
        )
        through_groups = SavedQuery.shared_with_groups.through.objects.filter(
            savedquery_id=OuterRef("pk")
        )
        return self.annotate(is_shared=Exists(through_users) | Exists(through_groups))


class SavedQuery(AuditedModel):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    spec = models.JSONField(_("query"), default=dict)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="saved_queries",
        help_text=_("Empty for the built-in queries."),
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The own company the query was made in; empty for the built-in queries."),
    )
    shared_with_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with users"),
        blank=True,
        related_name="queries_shared_with_me",
    )
    shared_with_groups = models.ManyToManyField(
        "auth.Group",
        verbose_name=_("shared with groups"),
        blank=True,
        related_name="shared_queries",
    )
    builtin = models.SlugField(
        _("built-in key"),
        max_length=80,
        blank=True,
        help_text=_("Set for the queries shipped with the CRM."),
    )

    objects = SavedQueryQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved query")
        verbose_name_plural = _("saved queries")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["builtin"], condition=~Q(builtin=""), name="querybuilder_builtin_unique"
            ),
        ]
        indexes = [models.Index(fields=["company", "owner"], name="querybuilder_sq_co_owner")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return bool(self.builtin)


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"
    PRINT = "print", _("print")


class ExportState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


EXPORT_STATE_COLOURS = {
    ExportState.QUEUED: "secondary",
    ExportState.RUNNING: "info",
    ExportState.DONE: "success",
    ExportState.FAILED: "danger",
}


class ExportRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user's own exports (a superuser: all)."""
        if not _active(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(user_id=user.pk)


class ExportRecord(models.Model):
    """The audit row of one export (who, when, which query, how many rows), also the state of
    a long export run in Celery (progress, the file when ready, the error)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="query_exports",
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    saved_query = models.ForeignKey(
        SavedQuery,
        verbose_name=_("saved query"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exports",
    )
    spec = models.JSONField(_("query"), default=dict)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    state = models.CharField(
        _("state"), max_length=8, choices=ExportState.choices, default=ExportState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    file = models.FileField(_("file"), upload_to="querybuilder/exports/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ExportRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="querybuilder_export_progress_max"
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="querybuilder_export_user")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} · {self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ScheduledReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The schedules of the company the user works in now (with the function); a
        superuser's: all."""
        if not _active(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        company_id = current_company_id(user)
        if company_id is None or not user.has_perm("querybuilder.view_scheduledreport"):
            return self.none()
        return self.filter(company_id=company_id)

    def editable_by(self, user, action: str = "change"):
        if not _active(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        if not user.has_perm(f"querybuilder.{action}_scheduledreport"):
            return self.none()
        return self.visible_to(user).filter(created_by_id=user.pk)


class ScheduledReport(models.Model):
    """A saved query sent as XLSX to chosen users weekly or monthly through the outbox, run
    with each recipient's own visibility in ``company`` (``schedules.py``)."""

    saved_query = models.ForeignKey(
        SavedQuery,
        verbose_name=_("saved query"),
        on_delete=models.CASCADE,
        related_name="schedules",
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The recipients' rows of this own company are sent."),
    )
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("recipients"), related_name="scheduled_reports"
    )
    frequency = models.CharField(
        _("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        null=True,
        blank=True,
        choices=WEEKDAYS,
        validators=[MaxValueValidator(6)],
        help_text=_("For weekly reports."),
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("For monthly reports: 1 to 28, so that every month has it."),
    )
    active = models.BooleanField(_("active"), default=True)
    params = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_("The asked parameters' values for this report; else the query's own."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    last_sent_on = models.DateField(_("last sent on"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScheduledReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        ordering = ["saved_query__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(frequency="weekly", weekday__isnull=False, weekday__lte=6)
                    | Q(
                        frequency="monthly",
                        day_of_month__isnull=False,
                        day_of_month__gte=1,
                        day_of_month__lte=28,
                    )
                ),
                name="querybuilder_schedule_day",
                violation_error_message=_(
                    "A weekly report needs a weekday, a monthly one a day of the month (1–28)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.saved_query} · {self.get_frequency_display()}"
