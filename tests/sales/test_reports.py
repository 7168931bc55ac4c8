"""The sales reports page and its XLSX export: who may open them, what each user's figures
are (only what they see), Hungarian formats, bad filters told, constant queries."""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.models import Membership
from sales import reports
from sales.models import Opportunity
from sales.pipeline import opportunity_move
from sales.quotes import quote_from_opportunity, quote_new_version, quote_set_status
from tests.access import check_access
from tests.factories import UserFactory

from .helpers import add_line, make_opportunity, make_product, stage

pytestmark = pytest.mark.django_db
EVERY_SALES_USER = {
    "owner",
    "supervisor",
    "second_supervisor",
    "boss",
    "peer",
    "other_company_user",
    "superuser",
}
NBSP = "\xa0"


def _move(user, opportunity, name_en, **kwargs):
    opportunity.refresh_from_db()
    return opportunity_move(
        user=user,
        opportunity=opportunity,
        stage=stage(opportunity.company_id, name_en),
        expected_version=opportunity.version,
        **kwargs,
    )


@pytest.fixture
def deals(org):
    """The owner: an open deal in negotiation (10 × 1 000 Ft less 10 % by hand = 9 000 Ft),
    one won (2 000 Ft) and one lost (1 000 Ft), both created ten days before they closed; the
    peer: an open new deal of 50 000 Ft. All expected to close this month."""
    today = timezone.localdate()
    product = make_product("P-1", price="1000")
    negotiating = make_opportunity(org.owner, name="Tárgyalt", expected_close=today)
    add_line(
        org.owner,
        negotiating,
        product,
        quantity="10",
        manual_discount=D(10),
        reason="régi vevő",
    )
    _move(org.owner, negotiating, "Negotiation")
    won = make_opportunity(org.owner, name="Megnyert", expected_close=today)
    add_line(org.owner, won, product, quantity="2")
    lost = make_opportunity(org.owner, name="Elvesztett", expected_close=today)
    add_line(org.owner, lost, product, quantity="1")
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    Opportunity.objects.filter(pk__in=[won.pk, lost.pk]).update(created_at=ten_days_ago)
    _move(org.owner, won, "Won")
    _move(org.owner, lost, "Lost", lost_reason="price")
    theirs = make_opportunity(org.peer, name="Péteré", expected_close=today)
    add_line(org.peer, theirs, product, quantity="50")
    return {"negotiating": negotiating, "won": won, "lost": lost, "theirs": theirs}


def _report(user, **filters) -> reports.Report:
    chosen = reports.Filters.default()
    for key, value in filters.items():
        setattr(chosen, key, value)
    return reports.build(user, user.current_company_id, chosen)


def test_the_reports_page_and_export_are_for_sales_users(org, client, deals):
    # every user with the sales function gets the page (with only what they see); an outsider
    # and a deactivated user do not
    for name in ("sales:reports", "sales:reports-export"):
        check_access(client, org, reverse(name), allowed=EVERY_SALES_USER, denied_status=(403, 404))


def test_a_rep_sees_their_own_figures_and_a_manager_the_team(org, deals):
    mine = _report(org.owner)
    assert mine.totals["value"] == D(9000) and mine.totals["count"] == 1
    assert mine.totals["forecast"] == D(6750)  # 9 000 × 75 %
    assert mine.win == {
        "won": 1,
        "lost": 1,
        "closed": 2,
        "won_value": D(2000),
        "lost_value": D(1000),
        "rate": D("50.0"),
        "value_rate": D("66.7"),
    }
    assert [row["name"] for row in mine.owners] == ["Tulaj Olga"]
    team = _report(org.supervisor)
    assert team.totals["value"] == D(59000)
    assert team.totals["forecast"] == D(6750 + 5000)  # the peer's at "New", 10 %
    assert {row["name"] for row in team.owners} == {"Tulaj Olga", "Társ Péter"}
    # the peer does not see the owner's deals; another company sees none of them
    assert _report(org.peer).totals["value"] == D(50000)
    other = _report(org.other_company_user)
    assert other.totals["value"] == 0 and other.owners == [] and other.win["closed"] == 0
    # "mine" narrows a manager's report to their own deals
    assert _report(org.supervisor, mine=True).totals["count"] == 0


def test_the_sales_cycle_comes_from_the_stage_history(org, deals):
    cycle = _report(org.owner).cycle
    assert cycle["won"] == D("10.0") and cycle["lost"] == D("10.0") and cycle["all"] == D("10.0")
    owner_row = _report(org.supervisor).owners
    olga = next(row for row in owner_row if row["name"] == "Tulaj Olga")
    assert olga["cycle_days"] == D("10.0") and olga["win_rate"] == D("50.0")


def test_discounts_compare_the_list_price_with_the_price_given(org, deals):
    quote_from_opportunity(user=org.owner, opportunity=Opportunity.objects.get(name="Tárgyalt"))
    report = _report(org.supervisor)
    olga = next(row for row in report.discounts if row["name"] == "Tulaj Olga")
    # the open deal's line (10 000 listed, 9 000 given, by hand) and the won deal's (2 000)
    assert (olga["listed"], olga["given"], olga["discount"]) == (D(12000), D(11000), D(1000))
    assert olga["manual"] == 1 and olga["percent"] == D("8.3")
    assert report.discounts[-1]["total"] and report.discounts[-1]["listed"] == D(62000)
    quoted = report.quote_discounts[0]
    assert (quoted["listed"], quoted["given"], quoted["percent"]) == (
        D(10000),
        D(9000),
        D("10.0"),
    )


def test_a_quote_sent_in_several_versions_counts_once_in_the_discounts(org, deals):
    quote = quote_from_opportunity(
        user=org.owner, opportunity=Opportunity.objects.get(name="Tárgyalt")
    )
    quote_set_status(user=org.owner, quote=quote, status="sent")
    quote_new_version(user=org.owner, quote=quote)  # the first version is superseded
    quoted = _report(org.supervisor).quote_discounts[0]
    assert (quoted["listed"], quoted["given"]) == (D(10000), D(9000))


def test_discounts_are_need_to_know(org, client, deals):
    group = Group.objects.create(name="Csak lehetőségek")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="sales", codename="view_opportunity")
    )
    viewer = UserFactory(username="nezo", current_company=org.company)
    Membership.objects.create(user=viewer, company=org.company)
    viewer.groups.add(group)
    assert _report(viewer).discounts is None
    client.force_login(viewer)
    page = client.get(reverse("sales:reports")).content.decode()
    assert 'data-testid="report-summary"' in page and "report-discounts" not in page
    book = load_workbook(io.BytesIO(client.get(reverse("sales:reports-export")).content))
    assert not any("edvezm" in title or "iscount" in title for title in book.sheetnames)


def test_the_page_shows_hungarian_amounts_dates_and_the_chart_data(org, client, deals):
    client.force_login(org.supervisor)
    today = timezone.localdate()
    response = client.get(reverse("sales:reports"), HTTP_ACCEPT_LANGUAGE="hu")
    page = response.content.decode()
    assert response.status_code == 200
    assert f"59{NBSP}000{NBSP}Ft" in page  # the open pipeline
    assert f"11{NBSP}750{NBSP}Ft" in page  # the weighted forecast
    assert f"{today.year}. 01. 01. – {today.year}. 12. 31." in page
    assert f"{today.year}. I. negyedév" in page or f"{today.year}. 1. negyedév" in page
    assert "50 %" in page  # the win rate
    assert 'id="sales-report-chart"' in page and "Súlyozott előrejelzés" in page
    # the peer's page does not show the owner's deals
    client.force_login(org.peer)
    page = client.get(reverse("sales:reports"), HTTP_ACCEPT_LANGUAGE="hu").content.decode()
    assert f"50{NBSP}000{NBSP}Ft" in page and "Tulaj Olga" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-12-31", "end": "2026-01-01"}, "before its start"),
        ({"start": "2026. 13. 45."}, "Enter a valid date"),
        ({"start": "2020-01-01", "end": "2026-12-31"}, "at most three years"),
        ({"currency": "USD"}, "Select a valid choice"),
    ],
)
def test_bad_filters_are_told_not_failed(org, client, deals, query, message):
    client.force_login(org.supervisor)
    for name in ("sales:reports", "sales:reports-export"):
        response = client.get(reverse(name), query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert message in response.content.decode()


def test_a_hungarian_period_filter_is_read(org, client, deals):
    client.force_login(org.supervisor)
    year = timezone.localdate().year
    response = client.get(
        reverse("sales:reports"),
        {"start": f"{year - 1}. 01. 01.", "end": f"{year - 1}. 12. 31."},
        HTTP_ACCEPT_LANGUAGE="hu",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{year - 1}. 01. 01. – {year - 1}. 12. 31." in page
    # nothing was expected to close or closed last year; the open pipeline is still now's
    report = _report(
        org.supervisor,
        start=datetime.date(year - 1, 1, 1),
        end=datetime.date(year - 1, 12, 31),
    )
    assert report.totals["forecast"] == 0 and report.win["closed"] == 0
    assert report.totals["value"] == D(59000)


def test_the_export_holds_the_tables_as_numbers(org, client, deals):
    client.force_login(org.owner)
    response = client.get(reverse("sales:reports-export"), HTTP_ACCEPT_LANGUAGE="hu")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "Tölcsér szakaszonként"
    owners = [list(row) for row in book.worksheets[1].iter_rows(values_only=True)]
    assert owners[1][:4] == ["Tulaj Olga", 1, 9000, 6750]
    assert all("Péter" not in str(cell) for sheet in book for row in sheet.values for cell in row)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_page_costs_the_same_queries_for_few_deals_and_many(org, client, deals):
    client.force_login(org.supervisor)
    url = reverse("sales:reports")
    _queries(client, url)
    few = _queries(client, url)
    product = make_product("P-2", price="500")
    for number in range(12):
        owner = org.owner if number % 2 else org.peer
        deal = make_opportunity(owner, name=f"Sok {number}", expected_close=timezone.localdate())
        add_line(owner, deal, product, quantity="3")
        if number % 3 == 0:
            _move(owner, deal, "Won")
    assert _queries(client, url) == few
