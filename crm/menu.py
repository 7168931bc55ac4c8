"""The main menu, filled in by the apps.

An app appears in the top bar once it has screens: in its ``AppConfig.ready()`` it registers
its entries::

    from crm.menu import MenuItem, menu

    menu.register(MenuItem(key="partners", label=_("Partners"), url_name="partners:list",
                           icon="building", order=10, permission="partners.view_partner"))

``order`` places an entry and says how much it is used: on a desktop the top bar keeps the
first ones that fit and folds the last (the less used) into "More" (``inc/topbar.html``,
crm.js). ``crm`` never imports a domain app; the apps come to it (see DESIGN.md, section 2).
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch

from .links import fixed_url
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


def _url(url_name: str) -> str | None:
    try:
        return fixed_url(url_name)
    except NoReverseMatch:
        return None


def _matches(url: str, current_path: str) -> bool:
    return current_path.startswith(url) if url != "/" else current_path == "/"


def _active_url(urls, current_path: str) -> str | None:
    """The one entry URL that ``current_path`` belongs to: the longest that it starts with, so
    that /activities/calendar/ is the calendar's page, not the activities' (/activities/)."""
    matching = [url for url in urls if url is not None and _matches(url, current_path)]
    return max(matching, key=len, default=None)


class MenuRegistry(Registry[MenuItem]):
    kind = "Menu entry"

    def for_user(self, user, current_path: str = "") -> list[dict]:
        """The entries ``user`` may open, with their URLs and which one is active."""
        entries = []
        for item in self.ordered():
            if item.permission and not user.has_perm(item.permission):
                continue
            url = _url(item.url_name)
            if url is None:
                continue
            entries.append({"item": item, "url": url, "active": False})
        # the longest matching URL of all entries, so that a page the user sees without its
        # own entry (no permission) does not light up the entry of a shorter URL instead
        active = _active_url((_url(item.url_name) for item in self.ordered()), current_path)
        for entry in entries:
            entry["active"] = entry["url"] == active
        return entries

    def active_key(self, current_path: str) -> str:
        """The key of the entry that ``current_path`` belongs to ("" for none), whoever asks:
        what a cached top bar differs by from page to page."""
        urls = [(item.key, _url(item.url_name)) for item in self.ordered()]
        active = _active_url((url for _key, url in urls), current_path)
        return next((key for key, url in urls if url is not None and url == active), "")


menu = MenuRegistry()
