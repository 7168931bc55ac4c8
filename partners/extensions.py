"""Places on the partner and contact pages that later apps fill in (DESIGN.md, section 2):
the partner page's tabs after overview, contacts and history, and the contact page's sections.

An app registers its own in ``AppConfig.ready()``::

    from partners.extensions import PageSection, partner_tabs

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

from crm.registry import Registry


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


partner_tabs = SectionRegistry()
contact_sections = SectionRegistry()
