"""A demo user logs in and sees the Hungarian home page, on a desktop and on a phone."""

import datetime

import pytest
from django.core.management import call_command

from crm.demo import DEMO_PASSWORD

from .conftest import log_in, screenshot


@pytest.fixture
def demo(db):
    call_command("load_demo")


@pytest.fixture
def anna(page, demo):
    """The page, with the demo sales rep logged in and looking at her home page."""
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    return page


def choose_language(page, name: str) -> None:
    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


def test_a_demo_user_logs_in_and_sees_the_hungarian_home_page(page, demo):
    page.goto("/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "Bejelentkezés"
    screenshot(page, "login-hu")

    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text() == "Jó napot, Anna!"
    assert page.get_by_test_id("today").inner_text() == datetime.date.today().strftime(
        "%Y. %m. %d."
    )
    assert page.locator("[data-panel=today] .card-header").inner_text() == "Ma"
    # at 1280 px the top bar shows the user's icon, their name in its title (crm.css)
    assert page.get_by_test_id("user-menu").get_attribute("title") == "Kovács Anna"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.locator("nav.crm-topbar").bounding_box()["height"] <= 64  # one line (was 88)
    # Bootstrap's and our own styles and scripts came from the app itself, without CSP errors.
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"
    assert page.console_errors == []
    screenshot(page, "home-hu")


def test_switching_to_english_and_back(anna):
    page = anna
    choose_language(page, "English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Good day, Anna!"
    assert "My day" in page.get_by_test_id("app-menu").inner_text()
    screenshot(page, "home-en")

    choose_language(page, "Magyar")
    assert page.locator("h1").inner_text() == "Jó napot, Anna!"


def test_the_menu_folds_on_a_phone(anna):
    page = anna
    page.set_viewport_size({"width": 390, "height": 844})
    menu_link = page.get_by_test_id("app-menu").locator(".nav-link", has_text="Napom")
    assert not menu_link.is_visible()
    page.get_by_label("Menü megnyitása").click()
    menu_link.wait_for(state="visible")
    page.wait_for_selector("#crm-nav.show:not(.collapsing)")
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "home-phone-menu")


def test_logging_out_from_the_user_menu(anna):
    page = anna
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Kijelentkezés").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url


def test_a_wrong_password_shows_the_error_in_hungarian(page, demo):
    log_in(page, "kovacs.anna", "rossz-jelszo")
    assert "Írjon be egy helyes" in page.locator(".alert-danger").inner_text()
    assert page.input_value("input[name=username]") == "kovacs.anna"
    screenshot(page, "login-error-hu")


def test_switching_the_own_company_in_the_top_bar(page, demo):
    log_in(page, "lakatos.nora", DEMO_PASSWORD)
    page.wait_for_url("**/")
    menu = page.get_by_test_id("company-menu")
    assert "Példa Kereskedelmi Kft." in menu.inner_text()
    menu.click()
    screenshot(page, "company-menu")
    page.get_by_role("button", name="Példa Szolgáltató Zrt.").click()
    page.wait_for_load_state()
    assert "Példa Szolgáltató Zrt." in page.get_by_test_id("company-menu").inner_text()


def test_the_admin_shows_whose_records_a_manager_sees(page, demo):
    log_in(page, "admin", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/admin/crm/user/?q=nagy.peter")
    page.get_by_role("link", name="nagy.peter").click()
    scope = page.locator(".field-people_in_scope")
    for name in ("Nagy Péter", "Kovács Anna", "Tóth Balázs", "Molnár Dávid"):
        assert name in scope.inner_text()
    assert "Horváth Zsófia" not in scope.inner_text()
    functions = page.locator(".field-effective_functions").inner_text()
    assert "crm.export_data" in functions
    scope.scroll_into_view_if_needed()
    screenshot(page, "admin-user-scope")
