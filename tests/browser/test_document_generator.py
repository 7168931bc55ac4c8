"""An assistant generates the contract pack from a partner's page in the browser: the shared
values typed once (a wrong number first, told in Hungarian), then the three documents, and the
PDF and DOCX downloaded and read back with their Hungarian letters; on a desktop and a phone."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from crm.groups import DEFAULT_GROUPS, ensure_default_groups
from documents import generator, generator_demo
from documents.generator_models import FieldKind, Pack, PackField, PackItem
from documents.models import DocumentType, Folder, FolderGrant, Level
from tests.access import build_org, member
from tests.factories import UserFactory
from tests.partners.conftest import make_partner

from .conftest import log_in, screenshot, sized_page

PASSWORD = "jelszo-Teszt-2026"
NAME = "Őrségi Fűtéstechnika Kft."


@pytest.fixture
def org(transactional_db):
    ensure_default_groups()
    return build_org()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def contract_pack(org):
    folder = Folder.objects.create(company=org.company, name="Sablonok")
    FolderGrant.objects.create(
        folder=folder, group=Group.objects.get(name=DEFAULT_GROUPS["marketing"]), level=Level.READ
    )

    def make(name, filename, content, output_type):
        return generator.template_create(
            user=org.boss,
            company_id=org.company.pk,
            name=name,
            uploaded=ContentFile(content, name=filename),
            folder=folder,
            output_type=output_type,
        )

    templates = [
        make(
            "Szállítási keretszerződés",
            "szerzodes.html",
            generator_demo.CONTRACT_HTML.encode(),
            DocumentType.CONTRACT,
        ),
        make(
            "Szerződés kísérőlevele",
            "level.docx",
            generator_demo._docx(generator_demo.COVER_LETTER),
            DocumentType.LETTER,
        ),
        make(
            "Átadás-átvételi jegyzőkönyv",
            "atadas.xlsx",
            generator_demo._handover_xlsx(),
            DocumentType.OTHER,
        ),
    ]
    pack = Pack.objects.create(company=org.company, name="Szerződéscsomag")
    for order, template in enumerate(templates):
        PackItem.objects.create(pack=pack, template=template, order=order)
    for order, (key, label, kind) in enumerate(
        (
            ("contract_value", "Szerződéses érték (Ft)", FieldKind.AMOUNT),
            ("start_date", "Hatálybalépés", FieldKind.DATE),
            ("handover_place", "Átadás helye", FieldKind.TEXT),
        )
    ):
        PackField.objects.create(pack=pack, key=key, label=label, kind=kind, order=order)
    return pack


def downloaded(page, locator) -> bytes:
    with page.expect_download() as info:
        locator.click()
    with open(info.value.path(), "rb") as handle:
        return handle.read()


@pytest.mark.parametrize(("label", "size"), [("desktop", (1280, 900)), ("phone", (390, 844))])
def test_an_assistant_generates_the_contract_pack_from_a_partner(
    browser, live_server, org, label, size
):
    from docx import Document as Docx
    from pypdf import PdfReader

    assistant = member(
        UserFactory(username="asszisztens", last_name="Lakatos", first_name="Nóra"),
        org.company,
        "marketing",
    )
    partner = make_partner(org.owner, name=NAME)
    # the contact types of the data migration (a transactional test starts without them)
    from partners.models import ContactRole, ContactType

    boss = ContactType.objects.create(name_hu="Döntéshozó", single=True, order=1)
    ContactType.objects.create(name_hu="Ügyvezető", single=True, order=2)
    contact = partner.contacts.create(family_name="Szőke", given_name="Győző")
    ContactRole.objects.create(contact=contact, partner=partner, type=boss, single=True)
    contract_pack(org)
    page = sized_page(browser, live_server, size)
    log_in(page, assistant.username, PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/partners/{partner.pk}/?tab=documents")
    page.get_by_test_id("generate-document").click()
    page.wait_for_url("**/documents/generate/**")
    screenshot(page, f"generator-choose-{label}")
    page.get_by_test_id("choose-packs").get_by_text("Szerződéscsomag").click()
    form = page.get_by_test_id("generate-form")
    form.locator("[name=shared_contract_value]").fill("12 500 000,50")
    form.locator("[name=shared_start_date]").fill("2027. 01. 01.")
    form.locator("[name=shared_handover_place]").fill("Szőce, Fő utca 1.")
    page.get_by_test_id("generate-submit").click()
    error = form.locator(".invalid-feedback")
    error.first.wait_for()
    assert "egész" in error.first.inner_text()  # forints are whole numbers (Hungarian)
    assert form.locator("[name=shared_handover_place]").input_value() == "Szőce, Fő utca 1."
    form.locator("[name=shared_contract_value]").fill("12 500 000")
    screenshot(page, f"generator-pack-form-{label}")
    page.get_by_test_id("generate-submit").click()
    try:  # three documents, one of them a PDF, on a busy machine
        page.wait_for_url("**/documents/generated/**", timeout=90_000)
    finally:
        screenshot(page, f"generator-after-submit-{label}")
    items = page.get_by_test_id("generated-list").locator(".list-group-item")
    assert items.count() == 3
    screenshot(page, f"generator-generated-{label}")
    buttons = page.get_by_test_id("download-generated")
    pdf = downloaded(page, buttons.nth(0))
    docx = downloaded(page, buttons.nth(1))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = text.replace("\xa0", " ")
    assert NAME in text and "12 500 000 Ft" in text and "2027. 01. 01." in text
    assert "Szőce, Fő utca 1." in text and "Megrendelő részéről: Szőke Győző" in text
    letter = "\n".join(p.text for p in Docx(io.BytesIO(docx)).paragraphs).replace("\xa0", " ")
    assert NAME in letter and "12 500 000 Ft" in letter and "Szőce, Fő utca 1." in letter
    page.goto(f"/partners/{partner.pk}/?tab=documents")
    assert "Szállítási keretszerződés – " + NAME in page.content()
    screenshot(page, f"generator-partner-tab-{label}")
    page.goto("/documents/templates/")
    page.get_by_test_id("template-list").get_by_text("Szállítási keretszerződés").click()
    page.get_by_test_id("template-ok").wait_for()
    assert (
        "contact_of_type.donteshozo.name"
        in page.get_by_test_id("variables-contact_of_type").inner_text()
    )
    screenshot(page, f"generator-template-{label}")
    page.goto("/documents/templates/")
    screenshot(page, f"generator-templates-{label}")
    # the only answer of 400 or more: the form sent back with the wrong amount
    assert not page.errors or all("/documents/generate/" in e for e in page.errors)
