"""The partner form's tax-number check with the tax authority (NAV) in the browser: each state
(valid with NAV's name and seat, invalid, NAV not answering, NAV not set up) as the user sees it
when typing the number, at desktop and phone size; the fake NAV runs on loopback."""

import pytest
from django.test import override_settings

from crm.demo import DEMO_PASSWORD
from partners.models import Partner

from ..conftest import free_port
from ..nav_helpers import nav_service, nav_settings
from .conftest import log_in, screenshot

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _type_tax_number(page, number: str) -> None:
    page.fill("#id_tax_number", number)
    page.locator("#id_tax_number").blur()  # the "change" event asks NAV


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_partner_form_shows_navs_verdict_on_the_tax_number(browser, live_server, demo, size):
    context = browser.new_context(base_url=live_server.url, locale="hu-HU", viewport=SIZES[size])
    page = context.new_page()
    failed = []
    page.on("response", lambda r: r.status >= 500 and failed.append(f"{r.status} {r.url}"))
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    with nav_service():
        page.goto("/partners/new/")
        _type_tax_number(page, "10773381-2-44")
        page.get_by_test_id("nav-valid").wait_for()
        assert "PÉLDA KERESKEDELMI" in page.get_by_test_id("nav-name").inner_text()
        assert "1117 BUDAPEST" in page.get_by_test_id("nav-address").inner_text()
        screenshot(page, f"nav-valid-{size}")
        page.get_by_test_id("nav-fill").click()
        page.wait_for_function("() => document.querySelector('#id_name').value.startsWith('PÉLDA')")
        assert page.input_value("#id_city") == "BUDAPEST"
        screenshot(page, f"nav-filled-{size}")
        _type_tax_number(page, "12345676-2-41")
        page.get_by_test_id("nav-invalid").wait_for()
        screenshot(page, f"nav-invalid-{size}")
        page.get_by_test_id("save").click()
        page.locator(".invalid-feedback, .text-danger").filter(has_text="NAV").first.wait_for()
        screenshot(page, f"nav-refused-{size}")
        assert not Partner.objects.filter(tax_number="12345676-2-41").exists()
    with nav_settings(f"http://127.0.0.1:{free_port()}"):
        page.goto("/partners/new/")
        _type_tax_number(page, "10773381-2-44")
        page.get_by_test_id("nav-unanswered").wait_for()
        screenshot(page, f"nav-unanswered-{size}")
        page.fill("#id_name", f"Csak Számjegy Kft. {size}")
        page.get_by_test_id("save").click()
        page.wait_for_url("**/partners/*/")
        assert "A NAV nem válaszolt" in page.locator("body").inner_text()
        screenshot(page, f"nav-unanswered-saved-{size}")
    with override_settings(NAV_TAXPAYER_URL=""):
        page.goto("/partners/new/")
        _type_tax_number(page, "23451672-2-09")
        page.get_by_test_id("nav-unchecked").wait_for()
        screenshot(page, f"nav-not-set-up-{size}")
    assert failed == []
    context.close()


def test_the_import_preview_lists_tax_numbers_nav_says_are_invalid(page, demo, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    source = tmp_path / "partnerek.csv"
    source.write_text(
        "Név;Adószám;Irányítószám;Település\n"
        "Kőrösi Gépház Kft.;24058715-2-19;6720;Szeged\n"
        "Nincs Ilyen Kft.;12345676-2-41;1117;Budapest\n",
        encoding="utf-8-sig",
    )
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    with nav_service():
        page.goto("/partners/")
        page.get_by_test_id("import").click()
        page.get_by_test_id("upload-form").locator("input[type=file]").set_input_files(str(source))
        page.get_by_test_id("upload-form").locator("button[type=submit]").click()
        page.get_by_test_id("preview").wait_for()
        errors = page.get_by_test_id("row-errors").inner_text()
        assert "12345676-2-41" in errors and "NAV" in errors
        screenshot(page, "nav-import-preview")
    with nav_settings(f"http://127.0.0.1:{free_port()}"):
        page.reload()
        page.get_by_test_id("preview-nav-unanswered").wait_for()
        screenshot(page, "nav-import-preview-unanswered")
    assert page.console_errors == []
