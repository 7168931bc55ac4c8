"""Attaching a signed contract to a partner in two steps, in the browser: the partner page's
Documents tab, the details with the partner pre-filled, then a real file dropped with its
progress bar finishing; on a desktop and a phone."""

import pytest

from crm.groups import ensure_default_groups
from documents.models import Document
from tests.access import build_org
from tests.documents.conftest import PDF
from tests.partners.conftest import make_partner

from .conftest import log_in, screenshot, sized_page

PASSWORD = "jelszo-Teszt-2026"


@pytest.fixture
def org(transactional_db):
    ensure_default_groups()
    return build_org()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize(("label", "size"), [("desktop", (1280, 800)), ("phone", (390, 844))])
def test_a_rep_attaches_a_contract_from_the_partner_page(
    browser, live_server, org, tmp_path, label, size
):
    partner = make_partner(org.owner, name="Dél-Alföldi Gépészeti Kft.")
    contract = tmp_path / "Szerződés aláírt ő ű.pdf"
    contract.write_bytes(PDF + b"%" + b"0" * (3 * 1024 * 1024) + b"\n")
    extra = tmp_path / "Melléklet.pdf"
    extra.write_bytes(PDF + b"% melleklet\n")
    page = sized_page(browser, live_server, size)
    log_in(page, "owner", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/partners/{partner.pk}/?tab=documents")
    page.get_by_test_id("no-documents").wait_for()
    page.get_by_test_id("attach-document").click()
    page.wait_for_url("**/documents/new/**")
    form = page.get_by_test_id("attach-form")
    assert partner.name in page.get_by_test_id("attach-links").inner_text()
    form.locator("[name=title]").fill("Keretszerződés 2026")
    form.locator("[name=type]").select_option("contract")
    form.locator("[name=tags]").fill("aláírt, 2026")
    screenshot(page, f"documents-attach-{label}")
    page.get_by_test_id("next-step").click()
    page.wait_for_url("**/documents/*/files/")
    page.get_by_test_id("file-input").set_input_files([str(contract), str(extra)])
    items = page.get_by_test_id("upload-item")
    page.locator("[data-testid=upload-item][data-state=done]").nth(1).wait_for()
    assert items.count() == 2
    bars = page.get_by_test_id("upload-bar")
    for n in range(2):
        assert bars.nth(n).evaluate("el => el.style.width") == "100%"
        assert "bg-success" in bars.nth(n).get_attribute("class")
    page.wait_for_timeout(700)  # Bootstrap's bars slide to their width in 0.6 s
    screenshot(page, f"documents-files-{label}")
    page.get_by_test_id("finish").click()
    page.wait_for_url("**/documents/*/")
    assert page.get_by_test_id("document-title").inner_text() == "Keretszerződés 2026"
    assert partner.name in page.get_by_test_id("document-links").inner_text()
    assert "Szerződés aláírt ő ű.pdf" in page.get_by_test_id("versions").inner_text()
    screenshot(page, f"documents-detail-{label}")
    document = Document.objects.get(title="Keretszerződés 2026")
    assert document.current_version.original_name == "Szerződés aláírt ő ű.pdf"
    assert document.current_version.size == contract.stat().st_size
    assert document.tags == ["aláírt", "2026"]
    assert Document.objects.filter(title="Melléklet").exists()
    page.goto(f"/partners/{partner.pk}/?tab=documents")
    tab = page.get_by_test_id("record-documents")
    assert "Keretszerződés 2026" in tab.inner_text() and "Melléklet" in tab.inner_text()
    screenshot(page, f"documents-partner-tab-{label}")
    page.goto("/documents/")
    screenshot(page, f"documents-list-{label}")
    assert not page.errors
