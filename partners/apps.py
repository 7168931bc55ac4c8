from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crm.groups import register_grants

        from .groups import PARTNER_GRANTS

        register_grants(PARTNER_GRANTS)
