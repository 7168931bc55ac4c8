"""The kinds of record a document may be linked to (``DocumentLink``), each with its own access
rule: a link makes the document visible to whoever sees the record through the record model's
``visible_to``. Models are named by label, so ``documents`` imports no other app (DESIGN.md,
section 2); a later app adds its own kind from its ``AppConfig.ready()``::

    from documents.linkables import Linkable, registry
    registry.register(Linkable(key="opportunity", model_label="sales.Opportunity", ...))
"""

from dataclasses import dataclass

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from crm.registry import Registry


@dataclass(frozen=True)
class Linkable:
    key: str  # also the query parameter that pre-fills the link (?partner=12)
    model_label: str
    label: str
    url_name: str  # the record's page, reversed with its primary key
    order: int = 100

    def model(self):
        return apps.get_model(self.model_label)

    def visible(self, user):
        return self.model().objects.visible_to(user)


class LinkableRegistry(Registry[Linkable]):
    kind = "Linkable record"

    def for_model(self, model) -> Linkable | None:
        label = model._meta.label_lower
        return next((k for k in self.ordered() if k.model_label.lower() == label), None)

    def get(self, key: str) -> Linkable | None:
        return self._entries.get(key)


registry = LinkableRegistry()

DEFAULT_KINDS = [
    Linkable("partner", "partners.Partner", _("partner"), "partners:detail", order=10),
    Linkable("contact", "partners.Contact", _("contact"), "partners:contact-detail", order=20),
    Linkable("activity", "activities.Activity", _("activity"), "activities:detail", order=30),
]


def register_defaults() -> None:
    for kind in DEFAULT_KINDS:
        if apps.is_installed(kind.model_label.split(".")[0]):
            registry.register(kind)
