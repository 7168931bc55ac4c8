from django.apps import AppConfig


class ScopingAppConfig(AppConfig):
    """A sample scoped model with list, detail, edit and delete views, for the access tests.
    Installed only by the test settings."""

    name = "tests.scoping_app"
    label = "scoping_app"
    default_auto_field = "django.db.models.BigAutoField"
