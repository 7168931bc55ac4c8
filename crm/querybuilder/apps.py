from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueryBuilderConfig(AppConfig):
    name = "crm.querybuilder"
    label = "querybuilder"
    verbose_name = _("Query builder")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crm.demo import register as register_demo
        from crm.groups import register_grants
        from crm.menu import MenuItem, menu
        from crm.messaging import queryables as messages

        from .builtins import load_demo
        from .defaults import QUERYBUILDER_GRANTS

        messages.register()
        register_grants(QUERYBUILDER_GRANTS)
        register_demo(load_demo)

        menu.register(
            MenuItem(
                key="reports",
                label=_("Reports"),
                url_name="querybuilder:builder",
                icon="table",
                order=60,
                permission="crm.run_query_builder",
            )
        )
