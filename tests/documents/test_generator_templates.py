"""Bad templates: an unknown variable or a syntax error is reported with the tag and where it is
(line of HTML, paragraph of DOCX, cell of XLSX); a template that fails stores nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from documents import generator
from documents.engines import TemplateProblem
from documents.models import Document

from .conftest import make_partner
from .generator_kit import (
    docx_file,
    english,  # noqa: F401 - a fixture
    make_template,
    xlsx_file,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def problems_of(org, name, content):
    return generator.template_problems(make_template(org.owner, "Rossz", name, content))


def test_html_unknown_variable_names_the_tag_and_line(org):
    found = problems_of(org, "rossz.html", "<h1>Levél</h1>\n<p>Tisztelt {{ partner.nmae }}!</p>\n")
    assert len(found) == 1
    assert "partner.nmae" in found[0] and "line 2" in found[0] and "Tisztelt" in found[0]


def test_html_unknown_top_level_name_and_syntax_error(org):
    found = problems_of(org, "a.html", "<p>\n\n{{ partnr.name }}</p>")
    assert "partnr" in found[0] and "line 3" in found[0]
    found = problems_of(org, "b.html", "<p>{% for c in contacts %}{{ c.name }}\n{% endfro %}</p>")
    assert "endfro" in found[0] and "line 2" in found[0]
    found = problems_of(org, "c.html", "<p>{{ partner.name </p>")
    assert "Syntax error" in found[0] and "line 1" in found[0]


def test_an_unknown_field_of_a_list_item_is_found_by_the_trial_drawing(org):
    found = problems_of(
        org, "d.html", "<ul>\n{% for c in contacts %}\n<li>{{ c.nmae }}</li>{% endfor %}</ul>"
    )
    assert "nmae" in found[0] and "line 3" in found[0]


def test_docx_names_the_paragraph(org):
    content = docx_file(["Szerződés", "Megrendelő: {{ partner.name }}", "Kelt: {{ today.dátum }}"])
    found = problems_of(org, "rossz.docx", content)
    assert len(found) == 1
    assert "today.dátum" in found[0] and "paragraph 3" in found[0], found


def test_docx_syntax_error(org):
    found = problems_of(org, "rossz.docx", docx_file(["Első", "{% if partner.name %}nincs vége"]))
    assert "Syntax error" in found[0] and "paragraph" in found[0]


def test_xlsx_names_the_cell(org):
    found = problems_of(org, "rossz.xlsx", xlsx_file({"A1": "Név", "B4": "{{ owner.telefon }}"}))
    assert "owner.telefon" in found[0] and "Átadás!B4" in found[0]


def test_good_templates_have_no_problems(org):
    assert (
        problems_of(org, "j.html", "<p>{{ partner.name }} {{ contact_of_type.penzugyi.email }}</p>")
        == []
    )
    assert problems_of(org, "j.docx", docx_file(["{{ partner.name|upper }}"])) == []
    assert problems_of(org, "j.xlsx", xlsx_file({"A1": "{{ today.date }}"})) == []


def test_drawing_a_bad_template_raises_a_clear_problem_and_stores_nothing(org):
    partner = make_partner(org.owner)
    template = make_template(org.owner, "Rossz", "rossz.html", "<p>\n{{ partner.nmae }}</p>")
    before = Document.objects.count()
    with pytest.raises(TemplateProblem) as problem:
        generator.generate(template=template, kind="partner", record=partner, user=org.owner)
    assert "nmae" in problem.value.messages[0] and "line 2" in problem.value.messages[0]
    assert Document.objects.count() == before


def test_a_template_file_must_be_docx_xlsx_or_utf8_html(org):
    for name, content in (
        ("a.pdf", b"%PDF-1.4\n%%EOF\n"),
        ("a.html", "<p>ő</p>".encode("iso8859_2")),
        ("a.exe", b"MZ\x90\x00"),
    ):
        with pytest.raises(ValidationError):
            generator.template_file_check(SimpleUploadedFile(name, content))
    damaged = make_template(org.owner, "Sérült", "x.html", "<p>ok</p>")
    damaged.engine = "docx"
    assert "cannot be read" in generator.template_problems(damaged)[0]


def test_an_unknown_contact_type_is_named_with_its_provider(org):
    found = problems_of(org, "e.html", "<p>{{ contact_of_type.nincs_ilyen.name }}</p>")
    assert "contact_of_type.nincs_ilyen" in found[0]
