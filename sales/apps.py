from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Sales")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crm.demo import register as register_demo
        from crm.groups import register_grants
        from crm.menu import MenuItem, menu
        from crm.sections import PageSection, partner_tabs

        from . import (
            delivery_templating,
            demo,
            invoice_demo,
            invoice_queryables,
            invoices,
            order_demo,
            partner_section,
            project_demo,
            project_queryables,
            projects,
            queryables,
            templating,
        )
        from .groups import (
            CATALOGUE_GRANTS,
            INVOICE_GRANTS,
            OPPORTUNITY_GRANTS,
            ORDER_GRANTS,
            QUOTE_GRANTS,
        )

        register_grants(CATALOGUE_GRANTS)
        register_grants(OPPORTUNITY_GRANTS)
        register_grants(QUOTE_GRANTS)
        register_grants(ORDER_GRANTS)
        register_grants(INVOICE_GRANTS)
        register_grants(projects.PROJECT_GRANTS)
        projects.register()  # a project is a record documents link to
        queryables.register()
        invoices.register()  # an invoiced order or delivery is not cancelled
        invoice_queryables.register()
        project_queryables.register()
        templating.register()  # the quote's variables and link kind for the document generator
        delivery_templating.register()  # the delivery note's, and orders and deliveries as links
        register_demo(demo.load_sales)
        register_demo(order_demo.load_orders)  # after the deals it orders
        register_demo(invoice_demo.load_invoices)  # after the deliveries it invoices
        register_demo(project_demo.load_projects)  # after the opportunities it links
        menu.register(
            MenuItem(
                key="sales",
                label=_("Sales"),
                url_name="sales:board",
                icon="graph-up-arrow",
                order=15,
                permission="sales.view_opportunity",
            )
        )
        partner_tabs.register(
            PageSection(
                key="sales",
                label=_("Sales"),
                template="sales/partials/partner_tab.html",
                context=partner_section.partner_sales_context,
                order=30,
                permission="sales.view_opportunity",
            )
        )
