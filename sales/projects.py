"""Project services (issue 25, item 4): create and change a project, its planned products, the
opportunities and activities linked to it; and the per-product comparison the project page
shows: planned vs quoted vs ordered vs delivered.

Every write checks that the user may change the project (``editable_by``) and sees what they
link (``visible_to``); a refusal of something not seen is ``PermissionDenied`` (a 404 for the
views), a rule broken is a ``ValidationError`` with a message for the form."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils.translation import gettext as _

from crm.versioning import save_versioned
from partners.models import Partner
from partners.services import acting_company

from .models import (
    Opportunity,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Project,
    ProjectActivity,
    ProjectOpportunity,
    ProjectProduct,
    Quote,
    QuoteLine,
    QuoteStatus,
)

_PROJECT = [f"sales.{a}_project" for a in ("view", "add", "change")]
# The default groups' project functions (data migration sales/0010, ``SalesConfig.ready``).
PROJECT_GRANTS = {
    "sales_rep": _PROJECT,
    "sales_manager": _PROJECT,
    "finance": ["sales.view_project"],
    "administrator": [f"sales.{a}_project" for a in ("view", "add", "change", "delete")],
}

EDITABLE_FIELDS = ["name", "start_on", "end_on", "status", "description"]


def _check_editable(user, project: Project) -> None:
    if not Project.objects.editable_by(user).filter(pk=project.pk).exists():
        raise PermissionDenied


def project_create(*, user, project: Project) -> Project:
    """Records a new project of ``user`` (its owner unless another is set) in the user's
    current company, for a partner the user sees."""
    if not Partner.objects.visible_to(user).filter(pk=project.partner_id).exists():
        raise PermissionDenied
    project.company = acting_company(user)
    if not project.owner_id:
        project.owner = user
    project.created_by = user
    project.full_clean()
    project.save()
    return project


def project_update(*, user, project: Project, expected_version: int) -> Project:
    """Saves the project's own fields if nobody saved since ``expected_version``."""
    _check_editable(user, project)
    project.full_clean(exclude=["owner", "company", "partner"])
    save_versioned(project, expected_version=expected_version, fields=EDITABLE_FIELDS)
    return project


# ----------------------------------------------------------------------------- products


def project_product_save(
    *, user, project: Project, product: Product, planned: Decimal, note: str = "", item=None
) -> ProjectProduct:
    """Adds a product to the project (or changes ``item``'s quantity and note). A product
    no longer sold may stay on the project but is not added anew."""
    _check_editable(user, project)
    if planned is None or planned <= 0:
        raise ValidationError({"planned": _("The quantity must be more than zero.")})
    adding = item is None or item.product_id != product.pk
    if adding and not product.active:
        raise ValidationError({"product": _("This product is no longer sold.")})
    item = item or ProjectProduct(project=project)
    item.product = product
    item.planned = planned
    item.note = (note or "")[:200]
    item.full_clean(exclude=["project"], validate_unique=False)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise ValidationError({"product": _("The product is already on the project.")}) from None
    return item


def project_product_remove(*, user, project: Project, item: ProjectProduct) -> None:
    _check_editable(user, project)
    ProjectProduct.objects.filter(pk=item.pk, project=project).delete()


# ----------------------------------------------------------------------------- links


def linkable_opportunities(user, project: Project):
    """The opportunities ``user`` sees that may join the project: the partner's, of the
    project's company, in no project yet."""
    return (
        Opportunity.objects.visible_to(user)
        .filter(partner_id=project.partner_id, company_id=project.company_id)
        .filter(project_link__isnull=True)
    )


def project_opportunity_link(*, user, project: Project, opportunity: Opportunity):
    _check_editable(user, project)
    if not Opportunity.objects.visible_to(user).filter(pk=opportunity.pk).exists():
        raise PermissionDenied
    if opportunity.company_id != project.company_id:
        raise ValidationError(_("The opportunity belongs to another own company."))
    if opportunity.partner_id != project.partner_id:
        raise ValidationError(_("Only the project partner's opportunities can join it."))
    try:
        with transaction.atomic():
            return ProjectOpportunity.objects.create(
                project=project, opportunity=opportunity, linked_by=user
            )
    except IntegrityError:
        other = (
            ProjectOpportunity.objects.filter(opportunity=opportunity)
            .select_related("project")
            .first()
        )
        name = other.project.name if other else "?"
        raise ValidationError(
            _("The opportunity already belongs to the project %(name)s.") % {"name": name}
        ) from None


def project_opportunity_unlink(*, user, project: Project, opportunity_id: int) -> None:
    _check_editable(user, project)
    ProjectOpportunity.objects.filter(project=project, opportunity_id=opportunity_id).delete()


def linkable_activities(user, project: Project):
    """The activities ``user`` sees that may be linked: those with the project's partner in
    the project's company."""
    from activities.models import Activity

    return Activity.objects.visible_to(user).filter(
        partner_id=project.partner_id, company_id=project.company_id
    )


def project_activity_link(*, user, project: Project, activity) -> ProjectActivity:
    _check_editable(user, project)
    if not linkable_activities(user, project).filter(pk=activity.pk).exists():
        if activity.partner_id == project.partner_id:
            raise PermissionDenied
        raise ValidationError(_("Only an activity with the project's partner can be linked."))
    link, _created = ProjectActivity.objects.get_or_create(
        project=project, activity=activity, defaults={"linked_by": user}
    )
    return link


def project_activity_unlink(*, user, project: Project, activity_id: int) -> None:
    _check_editable(user, project)
    ProjectActivity.objects.filter(project=project, activity_id=activity_id).delete()


# ----------------------------------------------------------------------------- progress


@dataclass
class ProductProgress:
    product: Product
    planned: Decimal | None  # None: quoted or ordered, but not on the project's plan
    quoted: Decimal
    item: ProjectProduct | None = None
    ordered: Decimal = Decimal(0)
    delivered: Decimal = Decimal(0)

    @property
    def unplanned(self) -> bool:
        return self.planned is None

    @property
    def quoted_share(self) -> int | None:
        """The quoted quantity as a percentage of the planned one (for the bar)."""
        if not self.planned:
            return None
        return int(min(self.quoted / self.planned * 100, Decimal(100)))

    @property
    def open_to_quote(self) -> Decimal:
        return max((self.planned or Decimal(0)) - self.quoted, Decimal(0))

    @property
    def delivered_share(self) -> int | None:
        """The delivered quantity as a percentage of the planned one."""
        if not self.planned:
            return None
        return int(min(self.delivered / self.planned * 100, Decimal(100)))


def quoted_quantities(user, project: Project) -> dict[int, Decimal]:
    """Product id → the quantity on the quotes of the project's opportunities that ``user``
    sees: each quote counted in its latest revision, rejected ones left out. One query."""
    quotes = (
        Quote.objects.visible_to(user)
        .filter(opportunity__project_link__project=project)
        .exclude(status=QuoteStatus.REJECTED)
        .exclude(Exists(Quote.objects.filter(replaces=OuterRef("pk"))))
    )
    rows = (
        QuoteLine.objects.filter(quote__in=quotes)
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {row["product_id"]: row["total"] for row in rows}


def ordered_quantities(user, project: Project) -> dict[int, tuple[Decimal, Decimal]]:
    """Product id → (ordered, delivered) on the orders of the project's opportunities that
    ``user`` sees, cancelled orders left out. One query."""
    orders = (
        Order.objects.visible_to(user)
        .filter(opportunity__project_link__project=project)
        .exclude(status=OrderStatus.CANCELLED)
    )
    rows = (
        OrderLine.objects.filter(order__in=orders)
        .values("product_id")
        .annotate(ordered=Sum("quantity"), delivered=Sum("quantity_delivered"))
        .order_by()
    )
    return {row["product_id"]: (row["ordered"], row["delivered"]) for row in rows}


def product_progress(user, project: Project) -> list[ProductProgress]:
    """One row per planned product, then those quoted or ordered without being planned: four
    queries whatever the number of products, quotes and orders."""
    items = list(project.products.select_related("product"))
    quoted = quoted_quantities(user, project)
    ordered = ordered_quantities(user, project)
    zero = (Decimal(0), Decimal(0))
    rows = [
        ProductProgress(
            product=item.product,
            planned=item.planned,
            quoted=quoted.get(item.product_id, Decimal(0)),
            item=item,
            ordered=ordered.get(item.product_id, zero)[0],
            delivered=ordered.get(item.product_id, zero)[1],
        )
        for item in items
    ]
    planned = {item.product_id for item in items}
    extra = (set(quoted) | set(ordered)) - planned
    if extra:
        rows += [
            ProductProgress(
                product=product,
                planned=None,
                quoted=quoted.get(product.pk, Decimal(0)),
                ordered=ordered.get(product.pk, zero)[0],
                delivered=ordered.get(product.pk, zero)[1],
            )
            for product in Product.objects.filter(pk__in=extra).order_by("code")
        ]
    return rows


def register() -> None:
    """A project is a record documents link to (the documents app's generic link table), and
    the activity page lists the projects of the activity; called from ``SalesConfig.ready()``."""
    from django.utils.translation import gettext_lazy

    from crm.sections import PageSection, activity_sections
    from documents.linkables import Linkable, registry

    registry.register(
        Linkable("project", "sales.Project", gettext_lazy("project"), "sales:project", order=55)
    )
    activity_sections.register(
        PageSection(
            key="projects",
            label=gettext_lazy("Projects"),
            template="sales/partials/project_activity_section.html",
            context=activity_projects_context,
            order=40,
            permission="sales.view_project",
        )
    )


def activity_projects_context(request, activity) -> dict:
    """The activity page's "Projects" section: the projects the activity is linked to that
    the user sees (one query)."""
    rows = (
        Project.objects.visible_to(request.user)
        .filter(activity_links__activity=activity)
        .select_related("partner")
        .order_by("-id")[:20]
    )
    return {"projects": list(rows)}
