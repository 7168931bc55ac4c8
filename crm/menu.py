"""The main menu, filled in by the apps.

An app appears in the top bar once it has screens: in its ``AppConfig.ready()`` it registers
its entries::

    from crm.menu import MenuItem, menu

    menu.register(MenuItem(key="partners", label=_("Partners"), url_name="partners:list",
                           icon="building", order=10, permission="partners.view_partner"))

``crm`` never imports a domain app; the apps come to it (see DESIGN.md, section 2).
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .registry import Registry


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url_name: str
    icon: str = "circle"
    order: int = 100
    # A Django permission ("app.codename"); None shows the entry to every signed-in user.
    permission: str | None = None


class MenuRegistry(Registry[MenuItem]):
    kind = "Menu entry"

    def for_user(self, user, current_path: str = "") -> list[dict]:
        """The entries ``user`` may open, with their URLs and which one is active."""
        entries = []
        for item in self.ordered():
            if item.permission and not user.has_perm(item.permission):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            active = current_path.startswith(url) if url != "/" else current_path == "/"
            entries.append({"item": item, "url": url, "active": active})
        return entries


menu = MenuRegistry()
