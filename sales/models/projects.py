"""Projects (issue 25, item 4): a piece of work for a partner over some months, with the
products it needs in planned quantities, the opportunities that sell them, and the activities
and documents about it. The project page compares, per product, what was planned with what was
quoted (and, as the chain grows, ordered and delivered): ``sales.projects.product_progress``.

An opportunity belongs to at most one project (``ProjectOpportunity.opportunity`` is one to
one); activities are linked through ``ProjectActivity`` (the activities app sits above sales and
knows nothing of projects); documents through the documents app's generic link table (a project
is a ``Linkable``: ``sales.templating.register``)."""

from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.scoping import ScopedModel, ScopedQuerySet

from .opportunities import QUANTITY


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    ON_HOLD = "on_hold", _("On hold")
    DONE = "done", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


PROJECT_COLOURS = {
    ProjectStatus.PLANNED: "info",
    ProjectStatus.RUNNING: "primary",
    ProjectStatus.ON_HOLD: "warning",
    ProjectStatus.DONE: "success",
    ProjectStatus.CANCELLED: "secondary",
}
OPEN_PROJECT = (ProjectStatus.PLANNED, ProjectStatus.RUNNING, ProjectStatus.ON_HOLD)


class ProjectQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_PROJECT)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["updated_at"],
)
class Project(ScopedModel):
    """A project with a partner; its ``owner`` is the person running it."""

    name = models.CharField(_("name"), max_length=200)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    start_on = models.DateField(_("start"), null=True, blank=True)
    end_on = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=9, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    description = models.TextField(_("description"), blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta(ScopedModel.Meta):
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        permissions = [("view_all_project", _("See every project of the company"))]
        indexes = [
            *ScopedModel.Meta.indexes,
            models.Index(fields=["partner", "company", "-id"], name="sales_project_partner"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True)
                | Q(start_on__isnull=True)
                | Q(end_on__gte=models.F("start_on")),
                name="sales_project_end_after_start",
                violation_error_message=_("A project cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status_colour(self) -> str:
        return PROJECT_COLOURS.get(self.status, "secondary")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROJECT

    def clean(self):
        if self.start_on and self.end_on and self.end_on < self.start_on:
            raise ValidationError({"end_on": _("A project cannot end before it starts.")})


class ProjectProduct(models.Model):
    """A product the project needs, and how much of it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="products")
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    planned = models.DecimalField(
        _("planned quantity"), validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("project product")
        verbose_name_plural = _("project products")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "product"],
                name="sales_projectproduct_unique",
                violation_error_message=_("The product is already on the project."),
            ),
            models.CheckConstraint(condition=Q(planned__gt=0), name="sales_projectproduct_planned"),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.planned}"


class ProjectOpportunity(models.Model):
    """An opportunity of the project: one project at most for each opportunity."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="opportunity_links")
    opportunity = models.OneToOneField(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="project_link",
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("project opportunity")
        verbose_name_plural = _("project opportunities")

    def __str__(self) -> str:
        return f"{self.project_id} ← {self.opportunity_id}"


class ProjectActivity(models.Model):
    """An activity (call, meeting, task…) about the project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activity_links")
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("project activity")
        verbose_name_plural = _("project activities")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "activity"], name="sales_projectactivity_unique"
            )
        ]
        indexes = [models.Index(fields=["activity"], name="sales_projectactivity_act")]

    def __str__(self) -> str:
        return f"{self.project_id} ← {self.activity_id}"
