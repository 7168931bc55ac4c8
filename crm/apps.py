from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import access, checks, home  # noqa: F401 - registers the system checks

        access.connect_signals()
        home.register_panels()
        home.register_menu()
