"""A salesperson finds a filed contract by a word inside its PDF, typed without accents and in
another form, from the top bar's search box and on the document search page; on a desktop and
a phone. The text is read by the real Celery task (run eagerly) after the upload commits."""

import pytest

from crm.celery import app
from crm.groups import ensure_default_groups
from documents.models import DocumentVersion, TextState
from tests.access import build_org
from tests.documents import textfiles as tf
from tests.documents.conftest import make_document
from tests.partners.conftest import make_partner

from .conftest import log_in, screenshot, sized_page

PASSWORD = "jelszo-Teszt-2026"
CONTRACT = (
    "Szállítási keretszerződés a Dél-Alföldi Gépészeti Kft. részére. A Szállító késedelmes "
    "teljesítés esetén a nettó vételár 1%-ának megfelelő kötbérrel tartozik naponta, legfeljebb "
    "a vételár 15%-áig. A felek a vitás kérdéseket elsősorban tárgyalás útján rendezik."
)


@pytest.fixture
def org(transactional_db):
    ensure_default_groups()
    return build_org()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.mark.parametrize(("label", "size"), [("desktop", (1280, 800)), ("phone", (390, 844))])
def test_a_rep_finds_a_contract_by_a_word_inside_its_pdf(
    browser, live_server, org, eager, label, size
):
    partner = make_partner(org.owner, name="Dél-Alföldi Gépészeti Kft.")
    document = make_document(
        org.owner,
        title="Keretszerződés 2026 – aláírt",
        links=[partner],
        file=tf.upload("Keretszerződés aláírt.pdf", tf.pdf_bytes(CONTRACT)),
    )
    version = DocumentVersion.objects.get(pk=document.current_version_id)
    assert version.text_state == TextState.DONE  # read by the task once the upload committed
    make_document(org.owner, title="Árajánlat", file=tf.upload("ajánlat.docx", tf.docx_bytes("ár")))
    page = sized_page(browser, live_server, size)
    log_in(page, "owner", PASSWORD)
    page.wait_for_url("**/")
    if label == "phone":
        page.locator(".navbar-toggler").click()
    box = page.get_by_test_id("global-search").locator("input[name=q]")
    box.fill("kotberek")  # kötbérrel in the PDF: no accents, another ending
    section = page.get_by_test_id("search-section-documents")
    section.wait_for()
    results = page.get_by_test_id("search-results")
    assert "Keretszerződés 2026 – aláírt" in results.inner_text()
    assert "Árajánlat" not in results.inner_text()
    screenshot(page, f"document-search-box-{label}")
    section.get_by_role("link").click()
    page.wait_for_url("**/documents/search/?q=kotberek")
    hits = page.get_by_test_id("search-hit")
    assert hits.count() == 1
    snippet = page.get_by_test_id("search-snippet")
    assert snippet.locator("mark").first.inner_text() == "kötbérrel"
    assert "késedelmes teljesítés" in snippet.inner_text()
    screenshot(page, f"document-search-page-{label}")
    page.get_by_test_id("document-search-form").locator("[name=type]").select_option("offer")
    page.get_by_test_id("document-search-form").locator("button[type=submit]").click()
    page.get_by_test_id("no-results").wait_for()
    page.go_back()
    hits.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/documents/{document.pk}/")
    assert "Keretszerződés aláírt.pdf" in page.get_by_test_id("versions").inner_text()
    assert page.errors == []
