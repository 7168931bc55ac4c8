"""Projects and their planned products in the query builder (registered in
``SalesConfig.ready``): projects start from ``visible_to``, planned products from the projects
the user sees."""

from django.utils.translation import gettext_lazy as _

from crm.querybuilder.registry import Entity, Field, Relation, queryables

from .models import Project, ProjectProduct, ProjectStatus

PROJECT_FIELDS = [
    Field("name", _("Name"), "text"),
    Field("status", _("Status"), "choice", choices=ProjectStatus.choices),
    Field("owner", _("Owner"), "user", path="owner_id"),
    Field("start_on", _("Start"), "date"),
    Field("end_on", _("End"), "date"),
    Field("created_at", _("Created"), "datetime"),
]

PROJECT_PRODUCT_FIELDS = [
    Field("planned", _("Planned quantity"), "number"),
    Field("note", _("Note"), "text"),
]


def register() -> None:
    queryables.register(
        Entity(
            key="projects",
            label=_("Projects"),
            model=Project,
            base=True,
            order=43,
            fields=PROJECT_FIELDS,
            relations=[
                Relation("partner", _("Partner"), "partners", "partner"),
                Relation(
                    "products",
                    _("Planned products"),
                    "project_products",
                    "products",
                    many=True,
                    back="project",
                ),
            ],
            default_columns=("name", "partner.name", "status", "owner", "start_on", "end_on"),
            audience={"partner": "partner_id"},
        )
    )
    queryables.register(
        Entity(
            key="project_products",
            label=_("Planned products of projects"),
            model=ProjectProduct,
            base=True,
            order=44,
            fields=PROJECT_PRODUCT_FIELDS,
            scope=lambda user: ProjectProduct.objects.filter(
                project__in=Project.objects.visible_to(user).values("pk")
            ),
            permission="sales.view_project",
            relations=[
                Relation("project", _("Project"), "projects", "project"),
                Relation("product", _("Product"), "products", "product"),
            ],
            default_columns=("project.name", "product.code", "product.name_hu", "planned"),
            audience={"partner": "project__partner_id"},
        )
    )
