"""Places on the record pages that lower apps fill in (DESIGN.md, section 2): the partner
page's tabs after overview, contacts and history, the contact page's sections and the activity
page's sections. They live in ``crm`` so that any app may add to any page without importing
the app that draws it (``documents`` adds its tab without importing ``partners``).

An app registers its own in ``AppConfig.ready()``::

    from crm.sections import PageSection, partner_tabs

    partner_tabs.register(PageSection(
        key="timeline", label=_("Timeline"), template="activities/partials/timeline.html",
        context=timeline_context, order=20, permission="activities.view_activity"))

``context(request, record)`` returns the template's context; it runs a constant number of
queries and starts from the app's ``visible_to(request.user)``. The page draws the template with
``{% page_section %}`` (crm/templatetags/crm_shell.py): the same text as
``render_to_string(template, context, request)``, with the page's context processors.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .registry import Registry


@dataclass(frozen=True)
class PageSection:
    key: str
    label: str
    template: str
    context: Callable
    order: int = 100
    permission: str | None = None

    def allowed(self, user) -> bool:
        return not self.permission or user.has_perm(self.permission)


class SectionRegistry(Registry[PageSection]):
    kind = "Page section"

    def for_user(self, user) -> list[PageSection]:
        return [section for section in self.ordered() if section.allowed(user)]

    def get(self, key: str, user) -> PageSection | None:
        section = self._entries.get(key)
        return section if section is not None and section.allowed(user) else None

    def drawn(self, request, record, name: str) -> list[tuple]:
        """(key, label, (template, context)) of each section ``request.user`` may see, the
        record in the context as ``name``: what ``{% page_section %}`` draws."""
        return [
            (
                section.key,
                section.label,
                (section.template, section.context(request, record) | {name: record}),
            )
            for section in self.for_user(request.user)
        ]


partner_tabs = SectionRegistry()
contact_sections = SectionRegistry()
activity_sections = SectionRegistry()
