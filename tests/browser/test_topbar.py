"""The top bar fits the screen: on a desktop the menu's entries that do not fit fold into
"Továbbiak" (More), each reachable from the bar or that menu; on a phone the collapsed menu
lists them all."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from crm.demo import DEMO_PASSWORD
from crm.menu import menu

from .conftest import log_in, screenshot, sized_page

# The demo users with the most menu entries (README's table).
USERS = ("admin", "szabo.gabor", "lakatos.nora", "simon.laszlo")


def entry_keys(username: str) -> list[str]:
    user = get_user_model().objects.get(username=username)
    return [entry["item"].key for entry in menu.for_user(user)]


def signed_in(browser, live_server, username: str, width: int, language: str = "hu"):
    page = sized_page(browser, live_server, (width, 800))
    log_in(page, username, DEMO_PASSWORD)
    page.wait_for_url("**/")
    if language == "en":
        page.get_by_test_id("language-menu").click()
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
    return page


def fits(page) -> None:
    """Nothing runs wider than the window, the bar is one line, and the search box, the
    company switcher and the user menu are on the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("nav.crm-topbar").bounding_box()["height"] <= 64
    width = page.evaluate("window.innerWidth")
    for part in (
        page.get_by_test_id("global-search").locator("input"),
        page.get_by_test_id("company-menu"),
        page.get_by_test_id("user-menu"),
    ):
        box = part.bounding_box()
        assert part.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= width


def folded_and_shown(page, keys: list[str]) -> tuple[list[str], list[str]]:
    """The entries in the bar and those in "More" (opened with the keyboard): each is one of
    the two, none is lost."""
    shown = [key for key in keys if page.locator(f"[data-crm-fold='{key}']").is_visible()]
    more = page.get_by_test_id("more-menu")
    folded = []
    if more.is_visible():
        toggle = more.locator(".dropdown-toggle")
        toggle.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-testid=more-menu] .dropdown-menu.show")
        assert toggle.get_attribute("aria-expanded") == "true"
        folded = [
            key for key in keys if more.locator(f"[data-crm-fold-copy='{key}'] a").is_visible()
        ]
        page.keyboard.press("ArrowDown")  # into the menu: the first folded entry has the focus
        first = more.locator(f"[data-crm-fold-copy='{folded[0]}'] a")
        assert first.evaluate("a => a === document.activeElement")
        page.keyboard.press("Escape")
    assert sorted(shown + folded) == sorted(keys)
    assert not set(shown) & set(folded)
    return shown, folded


def test_the_top_bar_fits_on_a_desktop_and_a_phone(browser, live_server, demo):
    """One test, so that the demo is loaded once (browser tests flush the database)."""
    for username in USERS:
        fits_1280_and_1440_px_in_both_languages(browser, live_server, username)
    admin_at_1280_px_folds_into_tovabbiak_and_unfolds_on_a_wider_screen(browser, live_server)
    on_a_phone_the_collapsed_menu_lists_every_entry(browser, live_server)


def fits_1280_and_1440_px_in_both_languages(browser, live_server, username):
    keys = entry_keys(username)
    for language in ("hu", "en"):
        page = signed_in(browser, live_server, username, 1280, language)
        for width in (1280, 1440):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(reverse("partners:list"))
            fits(page)
            shown, folded = folded_and_shown(page, keys)
            # the less used entries (the last in the menu's order) are the ones folded
            assert shown == keys[: len(shown)]
            screenshot(page, f"topbar-{username}-{language}-{width}")
        page.context.close()


def admin_at_1280_px_folds_into_tovabbiak_and_unfolds_on_a_wider_screen(browser, live_server):
    keys = entry_keys("admin")
    page = signed_in(browser, live_server, "admin", 1280)
    for _ in range(2):  # the second top bar comes from the worker's memory (crm.fragments)
        page.goto(reverse("partners:list"))
        fits(page)
        shown, folded = folded_and_shown(page, keys)
        assert folded, "the Hungarian entries do not all fit at 1280 px"
        assert page.get_by_test_id("more-menu").inner_text().strip() == "Továbbiak"
    # a folded entry's page lights up "Továbbiak"
    page.goto(page.locator(f"[data-crm-fold-copy='{folded[-1]}'] a").get_attribute("href"))
    assert "active" in page.get_by_test_id("more-menu").locator(".dropdown-toggle").get_attribute(
        "class"
    )
    # a wider window unfolds entries without a reload
    page.set_viewport_size({"width": 1920, "height": 800})
    page.wait_for_function(
        f"document.querySelectorAll('[data-crm-fold]:not([hidden])').length > {len(shown)}"
    )
    fits(page)
    page.context.close()


def on_a_phone_the_collapsed_menu_lists_every_entry(browser, live_server):
    keys = entry_keys("admin")
    page = signed_in(browser, live_server, "admin", 390)
    page.goto(reverse("partners:list"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("Menü megnyitása").click()
    page.wait_for_selector("#crm-nav.show:not(.collapsing)")
    for key in keys:
        assert page.locator(f"[data-crm-fold='{key}']").is_visible()
    assert not page.get_by_test_id("more-menu").is_visible()
    assert page.get_by_test_id("global-search").locator("input").is_visible()
    assert page.get_by_test_id("user-menu").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "topbar-admin-hu-390")
    page.context.close()
