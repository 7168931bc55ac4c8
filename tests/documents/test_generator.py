"""The generator's drawing: DOCX, XLSX and PDF from templates with the registry's variables,
Hungarian letters read back from every output, hostile values escaped, outputs stored as
documents linked to the record (version, audit, link), PDFs sealed with their hash."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from crm import templating
from documents import generator, services
from documents.generator_models import Generation
from documents.models import Action, Document, DocumentEvent, DocumentLink
from partners.models import ContactRole, ContactType

from .conftest import make_partner
from .generator_kit import (  # noqa: F401 - english: a fixture
    CONTRACT_HTML,
    docx_file,
    docx_text,
    english,
    make_template,
    output,
    pdf_fonts,
    pdf_text,
    xlsx_file,
    xlsx_values,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NAME = "Őrség-Űrtechnika Kft."


@pytest.fixture
def partner(org):
    partner = make_partner(org.owner, name=NAME, tax_number="12345676-2-41")
    contact = partner.contacts.create(family_name="Szőke", given_name="Győző", position="ügyvezető")
    ContactRole.objects.create(
        contact=contact, partner=partner, type=ContactType.objects.get(name_hu="Pénzügyi")
    )
    return partner


def test_a_pdf_from_html_has_the_hungarian_letters_and_is_stored_sealed(org, partner):
    template = make_template(org.owner, "Szerződés", "szerzodes.html", CONTRACT_HTML)
    document = generator.generate(template=template, kind="partner", record=partner, user=org.owner)
    data = output(document)
    text = pdf_text(data)
    assert NAME in text and "Szállítási szerződés" in text and "Szőke Győző" in text
    assert org.company.name in text
    assert templating.hungarian_date(templating.timezone.localdate()) in text
    version = document.current_version
    assert version.mime == "application/pdf" and version.sha256 == hashlib.sha256(data).hexdigest()
    generation = Generation.objects.get(document=document)
    assert generation.sealed and generation.sha256 == version.sha256
    assert generation.template == template and generation.object_id == partner.pk
    # stored through the store: linked, audited, the user's, visible to them
    assert DocumentLink.objects.filter(document=document, object_id=partner.pk).exists()
    assert DocumentEvent.objects.filter(document_id=document.pk, action=Action.UPLOAD).exists()
    assert Document.objects.visible_to(org.owner).filter(pk=document.pk).exists()
    assert pdf_fonts(data) == {"DejaVu-Sans", "DejaVu-Sans-Bold"}  # the pinned font, embedded


def test_a_sealed_pdf_takes_no_new_version_in_the_service_nor_in_the_database(org, partner):
    template = make_template(org.owner, "Szerződés", "szerzodes.html", CONTRACT_HTML)
    document = generator.generate(template=template, kind="partner", record=partner, user=org.owner)
    other = SimpleUploadedFile("más.pdf", b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(ValidationError, match="sealed"):
        services.version_add(document=document, uploaded=other, user=org.owner)
    with pytest.raises(ValidationError, match="sealed"):
        services.version_restore(
            document=document, version=document.current_version, user=org.owner
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        document.current_version.__class__.objects.filter(document=document).update(sha256="0" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        Generation.objects.filter(document=document).update(sha256="0" * 64)
    assert document.versions.count() == 1


def test_a_docx_draws_partner_contacts_by_type_owner_and_user(org, partner):
    content = docx_file(
        [
            "Megrendelő: {{ partner.name }}, {{ partner.address }}",
            "Pénzügy: {{ contact_of_type.penzugyi.name }}",
            "Üzletkötő: {{ owner.name }}; készítette: {{ user.name }}; {{ today.long }}",
        ]
    )
    template = make_template(org.supervisor, "Kísérőlevél", "kiserolevel.docx", content)
    document = generator.generate(
        template=template, kind="partner", record=partner, user=org.supervisor
    )
    text = docx_text(output(document))
    assert f"Megrendelő: {NAME}, " in text
    assert "Pénzügy: Szőke Győző" in text
    owner_name = org.owner.get_full_name()
    assert f"Üzletkötő: {owner_name}; készítette: {org.supervisor.get_full_name()}" in text
    assert not Generation.objects.get(document=document).sealed  # a DOCX may be edited on


def test_an_xlsx_fills_placeholders_and_keeps_a_hostile_value_as_text(org):
    hostile = make_partner(org.owner, name='=HYPERLINK("http://x.example","ő ű")')
    content = xlsx_file(
        {"A1": "Partner", "B1": "{{ partner.name }}", "B2": "Kelt: {{ today.date }}", "C3": "=1+1"}
    )
    template = make_template(org.owner, "Átadás", "atadas.xlsx", content)
    document = generator.generate(template=template, kind="partner", record=hostile, user=org.owner)
    cells = xlsx_values(output(document))
    assert cells["B1"].value == hostile.name and cells["B1"].data_type == "s"
    assert cells["B2"].value.startswith("Kelt: 20")
    assert cells["C3"].data_type == "f"  # the template's own formula stays one


def test_html_in_a_partner_name_is_escaped_in_the_pdf_and_the_docx(org):
    hostile = make_partner(org.owner, name="<b>Ő</b> & <script>alert(1)</script> Kft.")
    html = make_template(org.owner, "Levél", "level.html", "<p>{{ partner.name }}</p>")
    pdf = pdf_text(
        output(generator.generate(template=html, kind="partner", record=hostile, user=org.owner))
    )
    assert "<b>Ő</b> & <script>alert(1)</script> Kft." in pdf
    docx = make_template(org.owner, "Levél", "level.docx", docx_file(["{{ partner.name }}"]))
    text = docx_text(
        output(generator.generate(template=docx, kind="partner", record=hostile, user=org.owner))
    )
    assert text.strip() == hostile.name


def test_an_html_template_cannot_read_files_or_reach_servers(org, partner, tmp_path):
    secret = tmp_path / "titok.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n")
    html = f'<p>{{{{ partner.name }}}}</p><img src="file://{secret}"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    template = make_template(org.owner, "Levél", "level.html", html)
    document = generator.generate(template=template, kind="partner", record=partner, user=org.owner)
    assert b"/Image" not in output(document)


def test_generated_from_an_activity_it_reaches_partner_and_contact(org, partner):
    from tests.activities.test_activities import plan

    contact = partner.contacts.get()
    activity = plan(org.owner, partner, "meeting", contact=contact, subject="Bejárás Győrben")
    content = docx_file(
        ["{{ activity.subject }} – {{ partner.name }} – {{ contact.name }} ({{ contact.types }})"]
    )
    template = make_template(org.owner, "Látogatási jelentés", "jelentes.docx", content)
    document = generator.generate(
        template=template, kind="activity", record=activity, user=org.owner
    )
    assert f"Bejárás Győrben – {NAME} – Szőke Győző (Pénzügyi)" in docx_text(output(document))
    assert DocumentLink.objects.filter(document=document, object_id=activity.pk).exists()


def test_the_registry_lists_every_apps_variables_with_examples():
    names = {v.name for _p, variables in templating.listed_variables() for v in variables}
    for name in (
        "partner.name",
        "contact.name",
        "contacts[].name",
        "contact_of_type.penzugyi.name",
        "owner.name",
        "company.name",
        "user.name",
        "today.date",
        "activity.subject",
    ):
        assert name in names
    example = templating.example_context()
    assert example["contact_of_type"]["donteshozo"]["name"]
    assert example["contacts"][0]["name"]


def test_hungarian_number_and_date_formats():
    import datetime
    from decimal import Decimal

    assert templating.hungarian_number(Decimal("1234567.5")) == "1\xa0234\xa0567,5"
    assert templating.hungarian_number(Decimal("-1234.50")) == "-1\xa0234,50"
    assert templating.hungarian_number(Decimal("1234.5"), 0) == "1\xa0234"
    assert templating.hungarian_date(datetime.date(2026, 11, 2)) == "2026. 11. 02."
    assert templating.hungarian_long_date(datetime.date(2026, 11, 22)) == "2026. november 22."
