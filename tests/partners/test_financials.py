"""Balance-sheet figures (revenue, profit, headcount per year) typed on the partner form and
imported, not only filled from the registry (issue 22)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners import imports
from partners.models import ImportKind, Partner, PartnerFinancials

from .conftest import TAX_NUMBERS, make_partner
from .test_import import make_job, run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """As the import tests: uploads in a temporary folder, and one writer, which sees the
    test's transaction."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PARTNERS_IMPORT_WRITERS = 1


def _rows(*rows, initial=0):
    """The year rows of the partner form as the browser posts them."""
    data = {"fin-TOTAL_FORMS": str(len(rows)), "fin-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        for name, value in zip(("year", "revenue", "profit", "headcount"), row, strict=False):
            data[f"fin-{i}-{name}"] = value
        if len(row) > 4 and row[4]:
            data[f"fin-{i}-DELETE"] = "on"
    return data


def _figures(partner):
    return list(
        PartnerFinancials.objects.filter(partner=partner)
        .order_by("-year")
        .values_list("year", "revenue", "profit", "headcount")
    )


def test_balance_sheet_figures_can_be_typed_on_the_partner_form(client, org):
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:create"),
        {
            "name": "Számoló Kft.",
            "tax_number": TAX_NUMBERS[2],
            **_rows(
                ("2024", "1 250 000 000 Ft", "-3 400 000", "42"),
                ("2023", "1.100.000.000", "12000000", ""),
                ("", "", "", ""),  # the empty row to add a year
            ),
        },
    )
    assert response.status_code == 302
    partner = Partner.objects.get(name="Számoló Kft.")
    assert _figures(partner) == [
        (2024, 1_250_000_000, -3_400_000, 42),
        (2023, 1_100_000_000, 12_000_000, None),
    ]
    page = client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "1\xa0250\xa0000\xa0000 Ft" in page and "-3\xa0400\xa0000 Ft" in page
    # The edit form shows the stored years; one changed, one deleted, one added.
    edit = client.get(reverse("partners:edit", args=[partner.pk]))
    rows = edit.context["financials"]
    assert [f["year"].value() for f in rows.forms] == [2024, 2023, None]
    assert 'value="1\xa0250\xa0000\xa0000"' in edit.content.decode()
    response = client.post(
        reverse("partners:edit", args=[partner.pk]),
        {
            "name": "Számoló Kft.",
            "tax_number": TAX_NUMBERS[2],
            "base_version": partner.version,
            **_rows(
                ("2024", "1 300 000 000", "-3 400 000", "45"),
                ("2023", "1 100 000 000", "12 000 000", "", True),
                ("2025", "1 500 000 000", "", "50"),
                initial=2,
            ),
        },
    )
    assert response.status_code == 302
    assert _figures(partner) == [
        (2025, 1_500_000_000, None, 50),
        (2024, 1_300_000_000, -3_400_000, 45),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("1985", "100", "", ""), "Az év 1990 és {last} között lehet."),
        (("{next}", "100", "", ""), "Az év 1990 és {last} között lehet."),
        (("2024", "12,5 millió", "", ""), "Egész forintösszeget írjon, például 1 250 000."),
        (("2024", "1250000.5", "", ""), "Egész forintösszeget írjon, például 1 250 000."),
        (("2024", "-100", "", ""), "Ez az érték nem lehet negatív."),
        (("2024", "", "", "sok"), "A létszámot egész számmal írja, például 42."),
        (("2024", "", "", "99999999999"), "Ez az érték túl nagy."),
        (("", "100", "", ""), "Adja meg, melyik év adatai ezek."),
    ],
)
def test_bad_balance_sheet_figures_get_a_clear_message_and_the_typed_form_stays(
    client, org, row, message
):
    last = timezone.localdate().year
    row = tuple(cell.format(next=last + 1) for cell in row)
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:create"),
        {"name": "Hibás Számok Kft.", "notes": "Fontos jegyzet", **_rows(row)},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert message.format(last=last) in page
    assert 'value="Hibás Számok Kft."' in page and "Fontos jegyzet" in page
    assert not Partner.objects.filter(name="Hibás Számok Kft.").exists()


def test_a_year_given_twice_is_refused_and_nothing_is_saved(client, org):
    partner = make_partner(org.owner, tax_number=TAX_NUMBERS[2])
    PartnerFinancials.objects.create(partner=partner, year=2022, revenue=5)
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:edit", args=[partner.pk]),
        {
            "name": "Átnevezett Kft.",
            "base_version": partner.version,
            **_rows(("2024", "1", "", ""), ("2024", "2", "", "")),
        },
    )
    assert response.status_code == 200
    assert "2024 kétszer szerepel az évek között." in response.content.decode()
    partner.refresh_from_db()
    assert partner.name == "Alföld-Gépészeti Kft." and _figures(partner) == [(2022, 5, None, None)]


def test_figures_of_a_partner_one_may_not_edit_are_refused(client, org):
    partner = make_partner(org.owner, tax_number=TAX_NUMBERS[2])
    for user in (org.peer, org.outsider):
        client.force_login(user)
        response = client.post(
            reverse("partners:edit", args=[partner.pk]),
            {"name": partner.name, "base_version": partner.version, **_rows(("2024", "1", "", ""))},
        )
        assert response.status_code in (403, 404)
    assert _figures(partner) == []


HEADERS = ["Név", "Adószám", "Árbevétel 2024", "Eredmény 2024", "Létszám 2024", "Revenue 2023"]


def test_balance_sheet_figures_can_be_imported_one_column_per_figure_and_year(org, eager):
    mapping, _key, _remembered = imports.suggest_mapping(
        ImportKind.PARTNERS, HEADERS, user=org.owner
    )
    assert mapping == {
        "Név": "name",
        "Adószám": "tax_number",
        "Árbevétel 2024": "fin:revenue:2024",
        "Eredmény 2024": "fin:profit:2024",
        "Létszám 2024": "fin:headcount:2024",
        "Revenue 2023": "fin:revenue:2023",
    }
    existing = make_partner(org.owner, name="Meglévő Kft.", tax_number=TAX_NUMBERS[3])
    PartnerFinancials.objects.create(partner=existing, year=2024, revenue=1, profit=7)
    job = run(
        make_job(
            org.owner,
            [
                HEADERS,
                ["Új Kft.", TAX_NUMBERS[2], "1 250 000 000 Ft", "-3 400 000", "42", "900000000"],
                ["Meglévő Kft.", TAX_NUMBERS[3], "2000", "", "", ""],  # empty keeps the profit
            ],
        )
    )
    assert (job.created_count, job.updated_count, job.failed_count) == (1, 1, 0), job.error
    assert _figures(Partner.objects.get(name="Új Kft.")) == [
        (2024, 1_250_000_000, -3_400_000, 42),
        (2023, 900_000_000, None, None),
    ]
    assert _figures(existing) == [(2024, 2000, 7, None)]
    # The same figures again change nothing.
    again = run(
        make_job(org.owner, [HEADERS, ["Meglévő Kft.", TAX_NUMBERS[3], "2000", "", "", ""]])
    )
    assert (again.updated_count, again.skipped_count) == (0, 1)


def test_bad_figures_in_an_import_are_row_errors_in_the_preview(org):
    headers = ["Név", "Adószám", "Árbevétel 2024", "Létszám 1985"]
    rows = [
        headers,
        ["Jó Kft.", TAX_NUMBERS[2], "1 000", ""],
        ["Tört Kft.", TAX_NUMBERS[3], "12,5", ""],
        ["Régi Kft.", TAX_NUMBERS[4], "", "12"],
    ]
    preview = imports.preview(make_job(org.owner, rows), user=org.owner)
    errors = dict(preview.errors)
    assert set(errors) == {3, 4}
    assert "árbevétel (Ft) 2024 12,5: egész forintösszeget írjon, például 1 250 000." in errors[3]
    assert "létszám 1985 12: az év 1990 és" in errors[4]


def test_imported_figures_cost_the_same_statements_for_1_and_40_rows(org, eager):
    headers = ["Név", "ext:erp", "Árbevétel 2024", "Eredmény 2024", "Létszám 2024"]

    def statements(count: int, offset: int) -> int:
        rows = [headers] + [
            [f"Cég {offset + i}", f"E{offset + i}", "1 000", "-2", "3"] for i in range(count)
        ]
        job = make_job(org.owner, rows)
        with CaptureQueriesContext(connection) as captured:
            job = run(job)
        assert job.created_count == count, job.error
        return len(captured)

    assert statements(1, 0) == statements(40, 100)
    assert PartnerFinancials.objects.filter(year=2024, revenue=1000, headcount=3).count() == 41


def test_the_partner_form_and_page_issue_the_same_queries_for_1_and_20_years(client, org):
    client.force_login(org.owner)

    def queries(partner) -> tuple[int, int]:
        counts = []
        for url in ("partners:edit", "partners:detail"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse(url, args=[partner.pk])).status_code == 200
            counts.append(len(captured))
        return tuple(counts)

    one = make_partner(org.owner, name="Egyéves Kft.", tax_number=TAX_NUMBERS[2])
    PartnerFinancials.objects.create(partner=one, year=2024, revenue=1)
    many = make_partner(org.owner, name="Húszéves Kft.", tax_number=TAX_NUMBERS[3])
    for year in range(2005, 2025):
        PartnerFinancials.objects.create(partner=many, year=year, revenue=year, headcount=3)
    queries(one)  # warm the per-request caches
    assert queries(one) == queries(many)
