"""Opportunity screens: who may open each, what a user sees and types, constant queries."""

from decimal import Decimal as D

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.defaults import ensure_defaults
from activities.models import Activity
from sales.models import Opportunity, OpportunityLine
from tests.access import check_access
from tests.partners.conftest import make_contact, make_partner

from .helpers import add_line, make_opportunity, make_product, make_subcontractor, stage

pytestmark = pytest.mark.django_db
# who sees what org.owner owns: the owner, the supervisors up the chain, the superuser
SEE_OWNERS = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def opp(org):
    opportunity = make_opportunity(org.owner)
    add_line(org.owner, opportunity, make_product("P-1", price="1000"), quantity="2")
    return opportunity


def test_the_detail_page_is_for_those_who_see_the_opportunity(org, client, opp):
    check_access(client, org, reverse("sales:opportunity", args=[opp.pk]), allowed=SEE_OWNERS)


def test_the_edit_form_is_for_those_who_may_change_it(org, client, opp):
    check_access(client, org, reverse("sales:opportunity-edit", args=[opp.pk]), allowed=SEE_OWNERS)
    check_access(
        client,
        org,
        reverse("sales:opportunity-edit", args=[opp.pk]),
        allowed=SEE_OWNERS,
        method="post",
        data={"name": "Ellopva", "currency": "HUF"},
        row=opp,
    )


def test_line_screens_refuse_who_does_not_see_it(org, client, opp):
    line = opp.lines.get()
    product = make_product("P-2")

    def add():
        return reverse("sales:line-add", args=[opp.pk]), line

    check_access(
        client,
        org,
        add,
        allowed=SEE_OWNERS,
        method="post",
        data={"product": product.pk, "quantity": "1"},
    )
    check_access(
        client,
        org,
        reverse("sales:line-edit", args=[opp.pk, line.pk]),
        allowed=SEE_OWNERS,
        method="post",
        data={"product": product.pk, "quantity": "99"},
        row=line,
    )
    check_access(
        client,
        org,
        reverse("sales:line-edit", args=[opp.pk, line.pk]),
        allowed=SEE_OWNERS,
    )


def test_line_delete_move_and_callback_refuse_who_does_not_see_it(org, client, opp):
    line = opp.lines.get()
    denied = {"peer", "other_company_user", "outsider"}
    for persona in denied:
        client.force_login(org.users[persona])
        assert client.post(reverse("sales:line-delete", args=[opp.pk, line.pk])).status_code == 404
        response = client.post(
            reverse("sales:opportunity-move", args=[opp.pk]),
            {"stage": stage(org.company.pk, "Won").pk, "version": opp.version},
        )
        assert response.status_code == 404
        response = client.post(
            reverse("sales:opportunity-callback", args=[opp.pk]), {"on": "2026-12-24T10:00"}
        )
        assert response.status_code == 404
        response = client.post(
            reverse("sales:board-move"),
            {"opportunity": opp.pk, "stage": stage(org.company.pk, "Won").pk, "version": 2},
        )
        assert response.status_code == 404
    opp.refresh_from_db()
    assert opp.status == "open" and opp.lines.count() == 1
    assert not Activity.objects.exists()


def test_list_board_and_new_are_for_users_with_the_function(org, client, opp):
    every = SEE_OWNERS | {"peer", "other_company_user"}
    for name in ("sales:opportunities", "sales:board", "sales:opportunity-start"):
        check_access(client, org, reverse(name), allowed=every, denied_status=(403,))


def test_the_list_and_the_board_show_only_what_the_user_sees(org, client, opp):
    make_opportunity(org.peer, name="A társé")
    client.force_login(org.owner)
    listed = client.get(reverse("sales:opportunities")).content.decode()
    board = client.get(reverse("sales:board")).content.decode()
    for page in (listed, board):
        assert "Csarnok fűtése" in page and "A társé" not in page
    client.force_login(org.supervisor)
    assert "A társé" in client.get(reverse("sales:board")).content.decode()
    client.force_login(org.other_company_user)
    assert "Csarnok" not in client.get(reverse("sales:opportunities")).content.decode()


def test_a_new_opportunity_needs_a_partner_one_sees(org, client):
    mine = make_partner(org.owner, name="Saját Vevő Kft.")
    theirs = make_partner(org.peer, name="Társ Vevő Kft.")
    client.force_login(org.owner)
    found = client.get(reverse("sales:opportunity-start"), {"q": "Vevő"}, **HTMX)
    assert "Saját Vevő" in found.content.decode() and "Társ Vevő" not in found.content.decode()
    assert client.get(reverse("sales:opportunity-create", args=[theirs.pk])).status_code == 404
    contact = make_contact(mine)
    response = client.post(
        reverse("sales:opportunity-create", args=[mine.pk]),
        {
            "name": "Új raktár",
            "contact": contact.pk,
            "currency": "HUF",
            "expected_close": "2027-03-31",
            "competitors": "Konkurens Kft., Másik Bt.; Konkurens Kft.",
            "source": "exhibition",
            "source_detail": "Construma 2026",
        },
    )
    assert response.status_code == 302
    opp = Opportunity.objects.get(name="Új raktár")
    assert opp.competitors == ["Konkurens Kft.", "Másik Bt."]
    assert (opp.owner, opp.probability, opp.contact) == (org.owner, 10, contact)


def test_lines_are_added_and_changed_in_place_with_hungarian_numbers(org, client, opp):
    client.force_login(org.owner)
    product = make_product("SZ-1", price="12500", unit="óra")
    sub = make_subcontractor(org.owner, org.company)
    response = client.post(
        reverse("sales:line-add", args=[opp.pk]),
        {"product": product.pk, "quantity": "1 234,5", "subcontractors": [sub.pk]},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="lines"' in page
    assert "hx-swap-oob" in page  # the header's totals follow
    line = opp.lines.get(product=product)
    assert line.quantity == D("1234.5") and list(line.subcontractors.all()) == [sub]
    assert "15\xa0431\xa0250\xa0Ft" in page  # 1 234,5 × 12 500
    assert "Villszer Bt." in page
    response = client.post(
        reverse("sales:line-edit", args=[opp.pk, line.pk]),
        {"product": product.pk, "quantity": "2", "manual_discount": "5"},
        **HTMX,
    )
    line.refresh_from_db()
    assert (line.quantity, line.unit_price, line.manual) == (D(2), D("11875.00"), True)
    assert list(line.subcontractors.all()) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "0"}, "The quantity must be more than zero."),
        ({"quantity": "-3"}, "The quantity must be more than zero."),
        ({"quantity": "1", "manual_discount": "120"}, "A discount is between 0 and 100 %."),
        ({"quantity": "sok"}, "Type a number, like 1 234,50."),
    ],
)
def test_bad_line_input_is_told_and_nothing_is_saved(org, client, opp, data, message):
    client.force_login(org.owner)
    client.cookies["crm_language"] = "en"
    product = make_product("X-1")
    response = client.post(
        reverse("sales:line-add", args=[opp.pk]),
        {"product": product.pk, **data},
        HTTP_ACCEPT_LANGUAGE="en",
        **HTMX,
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not opp.lines.filter(product=product).exists()


def test_a_deactivated_product_cannot_be_added(org, client, opp):
    old = make_product("OLD-1", active=False)
    client.force_login(org.owner)
    response = client.post(
        reverse("sales:line-add", args=[opp.pk]), {"product": old.pk, "quantity": "1"}, **HTMX
    )
    assert response.status_code == 200
    assert not opp.lines.filter(product=old).exists()
    assert "form-select is-invalid" in response.content.decode() or "invalid" in (
        response.content.decode()
    )


def test_a_closed_opportunity_lines_stay_as_they_were(org, client, opp):
    client.force_login(org.owner)
    response = client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {"stage": stage(org.company.pk, "Lost").pk, "version": opp.version},
    )
    opp.refresh_from_db()
    assert opp.status == "open"  # no reason given
    client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {
            "stage": stage(org.company.pk, "Lost").pk,
            "version": opp.version,
            "lost_reason": "competitor",
            "note": "A Konkurens Kft. olcsóbb",
        },
    )
    opp.refresh_from_db()
    assert (opp.status, opp.lost_reason) == ("lost", "competitor")
    page = client.get(reverse("sales:opportunity", args=[opp.pk])).content.decode()
    assert 'data-testid="line-form"' not in page
    assert response.status_code == 302


def test_the_board_moves_a_card_and_refuses_a_stale_move(org, client, opp):
    client.force_login(org.supervisor)
    quoted = stage(org.company.pk, "Quoted")
    response = client.post(
        reverse("sales:board-move"),
        {"opportunity": opp.pk, "stage": quoted.pk, "version": opp.version},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="board-message"' in page
    opp.refresh_from_db()
    assert opp.stage == quoted
    client.force_login(org.owner)
    response = client.post(
        reverse("sales:board-move"),
        {"opportunity": opp.pk, "stage": stage(org.company.pk, "Negotiation").pk, "version": 1},
        **HTMX,
    )
    opp.refresh_from_db()
    assert opp.stage == quoted
    assert "Fő Ferenc" in response.content.decode()  # who moved it meanwhile
    response = client.post(
        reverse("sales:board-move"),
        {"opportunity": opp.pk, "stage": stage(org.company.pk, "Lost").pk, "version": 2},
        **HTMX,
    )
    opp.refresh_from_db()
    assert opp.status == "open"  # lost needs a reason: told to open it


def test_the_board_sums_each_column(org, client):
    product = make_product(price="1000")
    first = make_opportunity(org.owner, name="Egy")
    add_line(org.owner, first, product, quantity="3")
    second = make_opportunity(org.owner, name="Kettő")
    add_line(org.owner, second, product, quantity="7")
    client.force_login(org.owner)
    response = client.get(reverse("sales:board"))
    columns = {c["stage"].name_en: c for c in response.context["columns"]}
    new = columns["New"]
    assert new["count"] == 2
    assert new["sums"] == [{"currency": "HUF", "value": D(10000), "weighted": D(1000)}]
    assert columns["Won"]["count"] == 0


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_list_and_board_cost_the_same_queries_for_one_row_and_fifty(org, client):
    partner = make_partner(org.owner, name="Nagy Vevő Zrt.")
    make_opportunity(org.owner, partner=partner, name="Első")
    client.force_login(org.supervisor)
    client.get(reverse("sales:board"))
    one = [_queries(client, reverse(n)) for n in ("sales:opportunities", "sales:board")]
    stages = [stage(org.company.pk, n) for n in ("New", "Quoted", "Negotiation")]
    for n in range(49):
        owner = org.owner if n % 2 else org.peer
        other = make_partner(owner, name=f"Vevő {n}") if n % 5 == 0 else partner
        if owner == org.peer and other == partner:
            other = make_partner(owner, name=f"Társ vevő {n}")
        Opportunity.objects.create(
            company=org.company,
            owner=owner,
            partner=other,
            name=f"Lehetőség {n}",
            stage=stages[n % 3],
            probability=stages[n % 3].probability,
            value=D(1000 * n),
        )
    fifty = [_queries(client, reverse(n)) for n in ("sales:opportunities", "sales:board")]
    assert one == fifty
    response = client.get(reverse("sales:opportunities"))
    assert len(response.context["rows"]) == 50


def test_the_partner_page_lists_its_opportunities(org, client, opp):
    client.force_login(org.owner)
    response = client.get(reverse("partners:detail", args=[opp.partner_id]) + "?tab=sales")
    assert response.status_code == 200
    assert "Csarnok fűtése" in response.content.decode()


def test_a_call_back_is_planned_from_the_page(org, client, opp):
    ensure_defaults(django_apps)  # a transactional test before may have flushed the types
    client.force_login(org.owner)
    response = client.post(
        reverse("sales:opportunity-callback", args=[opp.pk]),
        {"on": "2026-12-28T10:00", "note": "Döntés után"},
    )
    assert response.status_code == 302
    task = Activity.objects.get()
    assert task.owner == org.owner and "Csarnok fűtése" in task.subject
    assert OpportunityLine.objects.count() == 1


def test_the_change_history_is_for_those_who_see_the_opportunity(org, client, opp):
    url = reverse("record_history", args=["sales.opportunity", opp.pk])
    check_access(client, org, url, allowed=SEE_OWNERS)
