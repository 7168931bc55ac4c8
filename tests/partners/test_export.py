"""Issue 31 item 17: the partner and contact lists exported as XLSX and CSV: the filtered rows
the user may see, the chosen columns in order, formulas neutralised, constant queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from partners.models import ColumnChoice

from .conftest import make_contact, make_partner

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/csv")
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _xlsx(response) -> list[list]:
    assert response.status_code == 200, response
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(_body(response)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _export(client, fmt, url_name="partners:export", **params):
    return client.get(reverse(url_name, args=[fmt]), params, HTTP_ACCEPT_LANGUAGE="hu")


def test_partner_export_holds_exactly_the_filtered_rows_the_user_may_see(client, org):
    make_partner(org.owner, name="Tisza Gépészeti Kft.", city="Szeged")
    make_partner(org.owner, name="Balaton Élelmiszer Kft.", city="Siófok")
    make_partner(org.peer, name="Tisza Peer Kft.", city="Szeged")  # the owner must not see it
    client.force_login(org.owner)
    for fmt, read in (("csv", _csv), ("xlsx", _xlsx)):
        every = read(_export(client, fmt))
        assert [r[0] for r in every[1:]] == ["Balaton Élelmiszer Kft.", "Tisza Gépészeti Kft."]
        szeged = read(_export(client, fmt, city="Szeged"))
        assert [r[0] for r in szeged[1:]] == ["Tisza Gépészeti Kft."]
    client.force_login(org.supervisor)  # sees the team's partners, the peer's among them
    names = [r[0] for r in _csv(_export(client, "csv", city="Szeged"))[1:]]
    assert names == ["Tisza Gépészeti Kft.", "Tisza Peer Kft."]


def test_a_user_without_the_view_function_gets_no_export(client, org):
    make_partner(org.owner, name="Titkos Kft.")
    client.force_login(org.outsider)
    for fmt in ("csv", "xlsx"):
        response = _export(client, fmt)
        assert response.status_code == 403
        assert b"Titkos" not in _body(response)
        assert _export(client, fmt, "partners:contacts-export").status_code == 403
    page = client.get(reverse("partners:list")).content.decode()
    assert 'data-testid="export-xlsx"' not in page


def test_export_has_the_chosen_columns_in_order_with_hungarian_headers(client, org):
    partner = make_partner(org.owner, name="Mátra Bt.", city="Gyöngyös", headcount=12)
    ColumnChoice.objects.create(
        user=org.owner, screen="partners", columns=["headcount", "city", "created", "status"]
    )
    client.force_login(org.owner)
    rows = _csv(_export(client, "csv"))
    created = timezone.localtime(partner.created_at).strftime("%Y. %m. %d.")
    assert rows == [
        ["Név", "Létszám", "Település", "Létrehozva", "Állapot"],
        ["Mátra Bt.", "12", "Gyöngyös", created, "potenciális"],
    ]
    sheet = _xlsx(_export(client, "xlsx"))
    assert sheet[0] == ["Név", "Létszám", "Település", "Létrehozva", "Állapot"]
    assert sheet[1][1] == 12  # a number, not text
    assert sheet[1][3].date() == timezone.localtime(partner.created_at).date()  # a date


def test_a_cell_starting_with_hyperlink_is_neutralised_in_csv_and_xlsx(client, org):
    make_partner(org.owner, name='=HYPERLINK("http://evil.example","x")', city="@SUM(A1)")
    make_contact(make_partner(org.owner, name="Jó Kft."), family_name="=HYPERLINK(1)")
    ColumnChoice.objects.create(user=org.owner, screen="partners", columns=["city"])
    client.force_login(org.owner)
    for read in (_csv, _xlsx):
        fmt = "csv" if read is _csv else "xlsx"
        rows = {r[0]: r for r in read(_export(client, fmt))[1:]}
        assert '\'=HYPERLINK("http://evil.example","x")' in rows
        assert rows['\'=HYPERLINK("http://evil.example","x")'][1] == "'@SUM(A1)"
        contacts = read(_export(client, fmt, "partners:contacts-export"))
        assert contacts[1][0].startswith("'=HYPERLINK(1)")


def test_contact_export_holds_the_visible_filtered_contacts_and_their_columns(client, org):
    mine = make_partner(org.owner, name="Saját Kft.", city="Eger")
    theirs = make_partner(org.peer, name="Másé Kft.", city="Eger")
    make_contact(mine, family_name="Fekete", given_name="Anna", position="igazgató")
    make_contact(mine, family_name="Aba", given_name="Béla", position="=1+1")
    make_contact(theirs, family_name="Fehér", given_name="Olga")
    ColumnChoice.objects.create(user=org.owner, screen="contacts", columns=["position", "partner"])
    client.force_login(org.owner)
    for read, fmt in ((_csv, "csv"), (_xlsx, "xlsx")):
        rows = read(_export(client, fmt, "partners:contacts-export"))
        assert rows[0] == ["Név", "Beosztás", "Partner"]
        assert [r[1:] for r in rows[1:]] == [["'=1+1", "Saját Kft."], ["igazgató", "Saját Kft."]]
        assert all("Fehér" not in r[0] for r in rows)
        found = read(_export(client, fmt, "partners:contacts-export", q="fekete"))
        assert len(found) == 2 and "Fekete" in found[1][0]


def _export_queries(client, url_name) -> int:
    client.get(reverse(url_name, args=["csv"]))  # fills the cached access profile
    counts = []
    for fmt in ("csv", "xlsx"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(url_name, args=[fmt]))
            _body(response)
        counts.append(len(queries))
    return counts


def test_export_issues_the_same_queries_for_1_and_50_rows(client, org):
    first = make_partner(org.owner, name="Egy Kft.")
    make_contact(first)
    for screen, columns in (
        ("partners", ["status", "owners", "tags", "created", "industry"]),
        ("contacts", ["partner", "types", "responsible", "created", "city"]),
    ):
        ColumnChoice.objects.create(user=org.supervisor, screen=screen, columns=columns)
    client.force_login(org.supervisor)
    one = _export_queries(client, "partners:export")
    one_contacts = _export_queries(client, "partners:contacts-export")
    for n in range(49):
        partner = make_partner(org.owner if n % 2 else org.peer, name=f"Partner {n:02d} Kft.")
        partner.tags.create(name=f"Címke {n}")
        make_contact(partner, family_name=f"Név{n}", responsible=org.owner)
    assert _export_queries(client, "partners:export") == one
    assert _export_queries(client, "partners:contacts-export") == one_contacts


@override_settings(LIST_EXPORT_MAX_ROWS=2)
def test_an_export_over_the_maximum_is_refused_with_a_message_and_the_filters_kept(client, org):
    for name in ("A Kft.", "B Kft.", "C Kft."):
        make_partner(org.owner, name=name)
    client.force_login(org.owner)
    response = _export(client, "xlsx", city="Szeged")
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:list") + "?city=Szeged"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="hu").content.decode()
    assert "több mint 2" in page
    assert len(_csv(_export(client, "csv", q="A Kft"))) == 2  # narrowed: allowed


def test_the_export_buttons_keep_the_current_filters(client, org):
    make_partner(org.owner, name="A Kft.")
    client.force_login(org.owner)
    page = client.get(reverse("partners:list"), {"city": "Szeged", "after": "x"}).content.decode()
    assert f'href="{reverse("partners:export", args=["xlsx"])}?city=Szeged"' in page
    assert f'href="{reverse("partners:export", args=["csv"])}?city=Szeged"' in page
    fragment = client.get(
        reverse("partners:contacts"), {"q": "kov"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-swap-oob="true"' in fragment
    assert f'href="{reverse("partners:contacts-export", args=["csv"])}?q=kov"' in fragment
