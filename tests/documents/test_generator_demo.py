"""The demo's templates: every one draws cleanly, a rep reads them all and the contract pack,
and one partner of kovacs.anna has its contract pack generated (PDF, DOCX, XLSX)."""

import pytest
from django.core.management import call_command

from crm.models import User
from documents import generator
from documents.generator_models import DocumentTemplate, Generation, Pack
from documents.models import Document

from .generator_kit import docx_text, output, pdf_text, xlsx_values


@pytest.mark.django_db
def test_the_demo_templates_and_pack(media):
    call_command("load_demo")
    anna = User.objects.get(username="kovacs.anna")
    templates = list(DocumentTemplate.objects.readable_by(anna))
    assert {t.name for t in templates} >= {
        "Árajánlat – kísérőlevél",
        "Szállítási keretszerződés",
        "Látogatási jelentés",
        "Átadás-átvételi jegyzőkönyv",
    }
    for template in templates:
        assert generator.template_problems(template) == [], template.name
    pack = Pack.objects.readable_by(anna).get()
    assert pack.name == "Szerződéscsomag" and pack.fields.count() == 3
    made = Generation.objects.filter(pack=pack).select_related("document")
    assert made.count() == 3
    documents = {g.document.current_version.mime.rsplit(".", 1)[-1]: g.document for g in made}
    pdf = pdf_text(output(documents["application/pdf"]))
    assert "Szállítási keretszerződés" in pdf and "12 500 000 Ft" in pdf.replace("\xa0", " ")
    assert "2027. 01. 01." in pdf
    assert "Tárgy: szállítási keretszerződés megküldése" in docx_text(output(documents["document"]))
    assert xlsx_values(output(documents["sheet"]))["B7"].value == 12500000
    assert all(
        Document.objects.visible_to(anna).filter(pk=d.pk).exists() for d in documents.values()
    )
    call_command("load_demo")  # once only
    assert DocumentTemplate.objects.count() == len(templates)
