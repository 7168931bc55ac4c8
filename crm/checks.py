"""System checks that keep later apps on the platform's rails."""

from django.apps import apps
from django.core import checks


@checks.register(checks.Tags.models)
def scoped_models_are_complete(app_configs=None, **kwargs):
    """Every scoped business model keeps its change history and the scoping indexes and
    visibility triggers of ``ScopedModel.Meta``."""
    from .scoping import VISIBILITY_TRIGGERS, ScopedModel

    errors = []
    trigger_names = {t.name for t in VISIBILITY_TRIGGERS}
    for model in apps.get_models():
        if not issubclass(model, ScopedModel):
            continue
        label = model._meta.label
        if not hasattr(model, "events") and getattr(model, "scoped_history", True):
            errors.append(
                checks.Error(
                    f"{label} is a ScopedModel without change history.",
                    hint="Decorate it with @pghistory.track(pghistory.InsertEvent(), "
                    "pghistory.UpdateEvent(), pghistory.DeleteEvent()).",
                    obj=model,
                    id="crm.E001",
                )
            )
        names = {t.name for t in getattr(model._meta, "triggers", [])}
        if not trigger_names <= names:
            errors.append(
                checks.Error(
                    f"{label} lacks the visibility triggers of ScopedModel.",
                    hint="Declare its Meta as `class Meta(ScopedModel.Meta):`.",
                    obj=model,
                    id="crm.E002",
                )
            )
    return errors
