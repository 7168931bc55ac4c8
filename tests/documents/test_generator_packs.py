"""Document packs: shared values typed once (Hungarian numbers and dates validated), every
document of the pack generated and linked to the record; one bad template stores nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from documents import packs
from documents.engines import TemplateProblem
from documents.generator_models import FieldKind, Generation, Pack, PackField, PackItem
from documents.models import Document, DocumentLink

from .conftest import make_partner
from .generator_kit import (  # noqa: F401 - english: a fixture
    docx_file,
    docx_text,
    english,
    make_template,
    output,
    pdf_text,
    xlsx_file,
    xlsx_values,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NBSP = "\xa0"


def contract_pack(org, *, broken=False):
    author = org.owner
    contract = make_template(
        author,
        "Szerződés",
        "szerzodes.html",
        "<h1>Szerződés – {{ partner.name }}</h1><p>Érték: {{ shared.contract_value }}</p>"
        "<p>Kezdés: {{ shared.start_date }}</p>" + ("{{ shared.nincs }}" if broken else ""),
    )
    letter = make_template(
        author,
        "Kísérőlevél",
        "level.docx",
        docx_file(["Tisztelt {{ partner.name }}!", "Átadás helye: {{ shared.handover_place }}"]),
    )
    sheet = make_template(
        author,
        "Átadás-átvételi lap",
        "atadas.xlsx",
        xlsx_file(
            {"A1": "Érték", "B1": "{{ shared.contract_value }}", "B2": "{{ shared.start_date }}"}
        ),
    )
    pack = Pack.objects.create(company=org.company, name="Szerződéscsomag")
    for order, template in enumerate((contract, letter, sheet)):
        PackItem.objects.create(pack=pack, template=template, order=order)
    PackField.objects.create(
        pack=pack, key="contract_value", label="Szerződéses érték", kind=FieldKind.AMOUNT, order=1
    )
    PackField.objects.create(
        pack=pack, key="start_date", label="Kezdés", kind=FieldKind.DATE, order=2
    )
    PackField.objects.create(
        pack=pack, key="handover_place", label="Átadás helye", kind=FieldKind.TEXT, order=3
    )
    return pack


def form_for(pack, **data):
    return packs.SharedValuesForm(
        {f"shared_{k}": v for k, v in data.items()}, fields=packs.pack_fields(pack)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,50", Decimal("1234.50")),
        (f"1{NBSP}234{NBSP}567", Decimal("1234567")),
        ("1.234.567,5", Decimal("1234567.5")),
        ("-12", Decimal("-12")),
        ("0,5", Decimal("0.5")),
    ],
)
def test_hungarian_numbers_are_read(text, expected):
    assert packs.parse_number(text) == expected


@pytest.mark.parametrize("text", ["1.5", "12a", "1,2,3", "Infinity", "1e20"])
def test_other_numbers_are_refused(text):
    with pytest.raises(ValidationError):
        packs.parse_number(text)


def test_the_form_validates_the_shared_values(org):
    pack = contract_pack(org)
    form = form_for(pack, contract_value="1 234,50", start_date="22/11/2026", handover_place="")
    assert not form.is_valid()
    assert "whole numbers" in str(form.errors["shared_contract_value"])
    assert "2026. 11. 22." in str(form.errors["shared_start_date"])
    assert "shared_handover_place" in form.errors
    form = form_for(
        pack, contract_value="1 234 567", start_date="2026. 11. 22.", handover_place="Győr"
    )
    assert form.is_valid(), form.errors
    shared, kept = form.shared()
    assert str(shared["contract_value"]) == f"1{NBSP}234{NBSP}567 Ft"
    assert shared["start_date"].value == datetime.date(2026, 11, 22)
    assert kept == {
        "contract_value": f"1{NBSP}234{NBSP}567 Ft",
        "start_date": "2026. 11. 22.",
        "handover_place": "Győr",
    }


def test_a_pack_generates_every_document_linked_to_the_record(org):
    partner = make_partner(org.owner, name="Győri Ütvefúró Kft.")
    pack = contract_pack(org)
    form = form_for(
        pack,
        contract_value="1 234 567",
        start_date="2026. 11. 22.",
        handover_place="Győr, Ipari park 4.",
    )
    assert form.is_valid()
    shared, kept = form.shared()
    documents = packs.pack_generate(
        pack=pack, kind="partner", record=partner, user=org.owner, shared=shared, values=kept
    )
    assert [d.title for d in documents] == [
        "Szerződés – Győri Ütvefúró Kft.",
        "Kísérőlevél – Győri Ütvefúró Kft.",
        "Átadás-átvételi lap – Győri Ütvefúró Kft.",
    ]
    assert documents[0].current_version.original_name == "Szerződés – Győri Ütvefúró Kft.pdf"
    pdf, docx, xlsx = (output(d) for d in documents)
    text = pdf_text(pdf)
    assert "Szerződés – Győri Ütvefúró Kft." in text and "1 234 567 Ft" in text.replace(NBSP, " ")
    assert "Kezdés: 2026. 11. 22." in text
    assert "Átadás helye: Győr, Ipari park 4." in docx_text(docx)
    cells = xlsx_values(xlsx)
    assert cells["B1"].value == 1234567 and cells["B2"].value.date() == datetime.date(2026, 11, 22)
    generations = Generation.objects.filter(document__in=documents)
    assert {g.pack_id for g in generations} == {pack.pk} and len(
        {g.batch for g in generations}
    ) == 1
    assert all(g.values == kept for g in generations)
    assert DocumentLink.objects.filter(document__in=documents, object_id=partner.pk).count() == 3


def test_a_bad_template_in_the_pack_stores_nothing(org):
    partner = make_partner(org.owner)
    pack = contract_pack(org, broken=True)
    form = form_for(pack, contract_value="100", start_date="2026. 11. 22.", handover_place="Pécs")
    assert form.is_valid()
    shared, kept = form.shared()
    before = Document.objects.count()
    with pytest.raises(TemplateProblem) as problem:
        packs.pack_generate(
            pack=pack, kind="partner", record=partner, user=org.owner, shared=shared, values=kept
        )
    assert "nincs" in problem.value.messages[0]
    assert Document.objects.count() == before


def test_templates_of_a_pack_know_its_shared_values(org):
    from documents import generator

    pack = contract_pack(org)
    for item in pack.items.all():
        assert generator.template_problems(item.template) == []
    lonely = make_template(org.owner, "Magában", "m.html", "<p>{{ shared.contract_value }}</p>")
    assert "shared" in generator.template_problems(lonely)[0]
