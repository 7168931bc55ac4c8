from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crm.access import with_generation
        from crm.demo import register as register_demo
        from crm.groups import register_grants
        from crm.menu import MenuItem, menu

        from . import demo, queryables, reference, templating  # noqa: F401 - reference: signals
        from .groups import PARTNER_GRANTS

        register_grants(PARTNER_GRANTS)
        queryables.register()
        templating.register()  # what document templates may say about partners
        # The lists' column choices: read in the same round trip as the access generation.
        for key_of in reference.column_keys():
            with_generation(key_of)
        menu.register(
            MenuItem(
                key="partners",
                label=_("Partners"),
                url_name="partners:list",
                icon="building",
                order=10,
                permission="partners.view_partner",
            )
        )
        menu.register(
            MenuItem(
                key="contacts",
                label=_("Contacts"),
                url_name="partners:contacts",
                icon="person-lines-fill",
                order=11,
                permission="partners.view_contact",
            )
        )
        register_demo(demo.load_partners)
