from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import access, checks, home, reference, templating  # noqa: F401 - checks: registers them

        access.connect_signals()
        # The reference lists' generation is read with the user on every request.
        access.with_generation_constant(reference.GENERATION_KEY)
        home.register_panels()
        home.register_menu()
        templating.register_platform()  # the document templates' own company, user, today
