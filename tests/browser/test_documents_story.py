"""Issue 24's "Done when" story in one run, as new users would do it in the browser: a colleague
subscribes to the contracts folder; a salesperson files a signed contract (a PDF with Hungarian
text) on a partner in two steps, finds it by an unaccented, inflected word inside the PDF and
uploads a second version; the colleague is mailed (Celery eager, the outbox to a real SMTP
server on loopback) and downloads it; the manager sees the download on the audit page; an
assistant generates the contract pack from the partner with the shared values typed once and
reads back Hungarian DOCX and PDF."""

import io

import pytest

from crm.groups import ensure_default_groups
from documents.models import Document, DocumentVersion, Folder, FolderGrant, Level, TextState
from tests.access import build_org, member
from tests.conftest import wait_for
from tests.documents import textfiles as tf
from tests.factories import UserFactory
from tests.partners.conftest import make_partner

from .conftest import log_in, screenshot, sized_page
from .test_document_generator import contract_pack, downloaded

PASSWORD = "jelszo-Teszt-2026"
PARTNER = "Dél-Alföldi Gépészeti Kft."
CONTRACT = (
    "Szállítási keretszerződés a Dél-Alföldi Gépészeti Kft. részére. A Szállító késedelmes "
    "teljesítés esetén a nettó vételár 1%-ának megfelelő kötbérrel tartozik naponta. "
    "Őrizetbe vett fűtőberendezés átadása."
)


@pytest.fixture
def org(transactional_db):
    ensure_default_groups()
    return build_org()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def logged_in(browser, live_server, username):
    page = sized_page(browser, live_server, (1280, 900))
    log_in(page, username, PASSWORD)
    page.wait_for_url("**/")
    return page


def test_the_documents_story_of_issue_24(browser, live_server, org, eager, smtp_server, tmp_path):
    contracts = Folder.objects.create(company=org.company, name="Szerződések")
    FolderGrant.objects.create(folder=contracts, user=org.owner, level=Level.WRITE)
    FolderGrant.objects.create(folder=contracts, user=org.peer, level=Level.READ)
    partner = make_partner(org.owner, name=PARTNER)

    # a colleague subscribes to the contracts folder
    colleague = logged_in(browser, live_server, "peer")
    colleague.goto(f"/documents/?folder={contracts.pk}")
    colleague.get_by_test_id("subscribe").click()
    colleague.get_by_test_id("subscribe-save").click()
    colleague.get_by_test_id("subscribed").wait_for()

    # the salesperson files the signed contract from the partner's page in two steps
    rep = logged_in(browser, live_server, "owner")
    rep.goto(f"/partners/{partner.pk}/?tab=documents")
    rep.get_by_test_id("attach-document").click()
    rep.wait_for_url("**/documents/new/**")
    assert PARTNER in rep.get_by_test_id("attach-links").inner_text()
    form = rep.get_by_test_id("attach-form")
    form.locator("[name=title]").fill("Keretszerződés 2026 – aláírt")
    form.locator("[name=type]").select_option("contract")
    form.locator("[name=folder]").select_option(label="Szerződések")
    rep.get_by_test_id("next-step").click()
    rep.wait_for_url("**/documents/*/files/")
    signed = tmp_path / "Keretszerződés aláírt.pdf"
    signed.write_bytes(tf.pdf_bytes(CONTRACT))
    rep.get_by_test_id("file-input").set_input_files(str(signed))
    rep.locator("[data-testid=upload-item][data-state=done]").wait_for()
    rep.get_by_test_id("finish").click()
    rep.wait_for_url("**/documents/*/")
    document = Document.objects.get(title="Keretszerződés 2026 – aláírt")
    assert document.folder_id == contracts.pk
    first = DocumentVersion.objects.get(pk=document.current_version_id)
    assert first.text_state == TextState.DONE  # read by the Celery task after the commit

    # next month: found by a word inside the PDF, unaccented and in another form
    rep.goto("/documents/search/")
    search = rep.get_by_test_id("document-search-form")
    search.locator("[name=q]").fill("kotberek")  # "kötbérrel" in the PDF
    search.locator("button[type=submit]").click()
    rep.wait_for_url("**q=kotberek*")
    hits = rep.get_by_test_id("search-hit")
    assert hits.count() == 1
    assert rep.get_by_test_id("search-snippet").locator("mark").first.inner_text() == "kötbérrel"
    hits.first.get_by_role("link").first.click()
    rep.wait_for_url(f"**/documents/{document.pk}/")

    # a second version, and the subscribed colleague's mail about it
    second = tmp_path / "Keretszerződés aláírt v2.pdf"
    second.write_bytes(tf.pdf_bytes(CONTRACT + " Második változat."))
    upload = rep.get_by_test_id("new-version")
    upload.locator("input[type=file]").set_input_files(str(second))
    upload.locator("button[type=submit]").click()
    rep.get_by_test_id("versions").get_by_text("Keretszerződés aláírt v2.pdf").wait_for()
    screenshot(rep, "documents-story-detail")
    subject = "Új változat (2): Keretszerződés 2026 – aláírt"
    assert wait_for(lambda: any(m["Subject"] == subject for m in smtp_server.parsed()))
    mail = next(m for m in smtp_server.parsed() if m["Subject"] == subject)
    assert mail["To"] == "peer@example.hu"
    assert "Tulaj Olga" in mail.get_body(("plain",)).get_content()

    # the colleague downloads it; the manager sees who did on the audit page
    colleague.goto(document.get_absolute_url())
    data = downloaded(colleague, colleague.get_by_test_id("download"))
    assert data == second.read_bytes()
    manager = logged_in(browser, live_server, "supervisor")
    manager.goto("/documents/audit/")
    filters = manager.get_by_test_id("audit-filters")
    filters.locator("[name=action]").select_option("download")
    filters.locator("button[type=submit]").click()
    manager.wait_for_url("**action=download*")
    events = manager.get_by_test_id("events").inner_text()
    assert "Társ Péter" in events and "Keretszerződés 2026 – aláírt" in events
    screenshot(manager, "documents-story-audit")

    # an assistant generates the contract pack from the partner, the shared values typed once
    from docx import Document as Docx
    from pypdf import PdfReader

    assistant = member(
        UserFactory(username="asszisztens", last_name="Lakatos", first_name="Nóra"),
        org.company,
        "marketing",
    )
    from partners.models import ContactType

    # the contact types the contract names (a transactional test before may have emptied them)
    ContactType.objects.get_or_create(name_hu="Döntéshozó", defaults={"single": True, "order": 1})
    ContactType.objects.get_or_create(name_hu="Ügyvezető", defaults={"single": True, "order": 2})
    contract_pack(org)
    helper = logged_in(browser, live_server, assistant.username)
    helper.goto(f"/partners/{partner.pk}/?tab=documents")
    helper.get_by_test_id("generate-document").click()
    helper.wait_for_url("**/documents/generate/**")
    helper.get_by_test_id("choose-packs").get_by_text("Szerződéscsomag").click()
    pack = helper.get_by_test_id("generate-form")
    pack.locator("[name=shared_contract_value]").fill("8 400 000")
    pack.locator("[name=shared_start_date]").fill("2027. 02. 01.")
    pack.locator("[name=shared_handover_place]").fill("Győr, Fűzfa utca 5.")
    helper.get_by_test_id("generate-submit").click()
    helper.wait_for_url("**/documents/generated/**", timeout=90_000)
    assert helper.get_by_test_id("generated-list").locator(".list-group-item").count() == 3
    buttons = helper.get_by_test_id("download-generated")
    pdf = downloaded(helper, buttons.nth(0))
    docx = downloaded(helper, buttons.nth(1))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = text.replace("\xa0", " ")
    letter = "\n".join(p.text for p in Docx(io.BytesIO(docx)).paragraphs).replace("\xa0", " ")
    for output in (text, letter):  # the shared values in both, ő and ű intact
        assert "Győr, Fűzfa utca 5." in output and "8 400 000 Ft" in output
        assert "ő" in output and "ű" in output
    assert PARTNER in text and "2027. 02. 01." in text and PARTNER in letter
    assert not (colleague.errors or rep.errors or manager.errors or helper.errors)
