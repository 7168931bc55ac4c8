"""Demo projects for ``make run`` (issue 25, item 9): for two of the demo reps' partners with
open opportunities, a project with the opportunities' products planned (more than quoted so
far, so the page shows what is still to sell), the opportunities and an activity of the
partner linked. Idempotent: nothing is made when a project exists."""

import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone

from activities.models import Activity

from .models import (
    Opportunity,
    OpportunityStatus,
    Project,
    ProjectActivity,
    ProjectOpportunity,
    ProjectProduct,
    ProjectStatus,
    Quote,
)

NAMES = ["Telephely fűtéskorszerűsítés", "Irodaház gépészeti felújítás"]


def load_projects() -> None:
    if Project.objects.exists():
        return
    opportunities = (
        Opportunity.objects.filter(status=OpportunityStatus.OPEN, owner__username="kovacs.anna")
        .exclude(lines=None)
        .annotate(quoted=Exists(Quote.objects.filter(opportunity=OuterRef("pk"))))
        .select_related("partner", "owner")
        .order_by("-quoted", "pk")  # quoted deals first: the page then has figures to compare
    )
    seen, today = set(), timezone.localdate()
    for opportunity in opportunities:
        if opportunity.partner_id in seen or len(seen) == len(NAMES):
            continue
        name = NAMES[len(seen)]
        seen.add(opportunity.partner_id)
        project = Project.objects.create(
            company_id=opportunity.company_id,
            owner=opportunity.owner,
            created_by=opportunity.owner,
            partner=opportunity.partner,
            name=name,
            status=ProjectStatus.RUNNING if len(seen) == 1 else ProjectStatus.PLANNED,
            start_on=today - datetime.timedelta(days=30),
            end_on=today + datetime.timedelta(days=150),
            description="Ütemezett kivitelezés a partner telephelyén, két ütemben.",
        )
        planned: dict[int, Decimal] = {}
        for line in opportunity.lines.all():
            planned[line.product_id] = planned.get(line.product_id, Decimal(0)) + line.quantity
        ProjectProduct.objects.bulk_create(
            ProjectProduct(project=project, product_id=product_id, planned=quantity * 2)
            for product_id, quantity in planned.items()
        )
        partners_deals = Opportunity.objects.filter(
            partner_id=opportunity.partner_id,
            company_id=opportunity.company_id,
            project_link__isnull=True,
        )
        ProjectOpportunity.objects.bulk_create(
            ProjectOpportunity(project=project, opportunity=deal, linked_by=opportunity.owner)
            for deal in partners_deals
        )
        activity = (
            Activity.objects.filter(
                partner_id=opportunity.partner_id, company_id=opportunity.company_id
            )
            .order_by("-starts_at")
            .first()
        )
        if activity is not None:
            ProjectActivity.objects.create(
                project=project, activity=activity, linked_by=opportunity.owner
            )
