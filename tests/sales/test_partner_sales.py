"""The partner page's sales tab: the 360° view of a partner's business with the company, of
the records the user sees only, in a constant number of queries."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.invoices import invoice_from_delivery
from sales.models import Opportunity, Project
from sales.projects import project_create
from sales.quotes import quote_from_opportunity, quote_set_status
from tests.access import check_access

from .helpers import add_line, make_opportunity, make_product, stage
from .invoice_kit import deliver, make_buyer, make_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(org):
    """A partner with a tax number and an address: invoices can be issued to it."""
    return make_buyer(org.owner, name="Körkép Vevő Kft.")


def _tab(client, partner):
    return client.get(reverse("partners:detail", args=[partner.pk]) + "?tab=sales")


def test_the_tab_shows_pipeline_open_opportunities_quotes_and_projects(org, client, partner):
    product = make_product("KAZ", price="100000")
    first = make_opportunity(org.owner, partner=partner, name="Kazáncsere")
    add_line(org.owner, first, product, quantity="2")  # 200 000
    second = make_opportunity(org.owner, partner=partner, name="Bővítés")
    add_line(org.owner, second, product, quantity="1")
    Opportunity.objects.filter(pk=second.pk).update(probability=50)
    won = make_opportunity(org.owner, partner=partner, name="Megnyert régi")
    Opportunity.objects.filter(pk=won.pk).update(status="won", stage=stage(org.company.pk, "Won"))
    sent = quote_from_opportunity(user=org.owner, opportunity=first)
    quote_set_status(user=org.owner, quote=sent, status="sent")
    accepted = quote_from_opportunity(user=org.owner, opportunity=second)
    quote_set_status(user=org.owner, quote=accepted, status="sent")
    quote_set_status(user=org.owner, quote=accepted, status="accepted")
    project_create(user=org.owner, project=Project(name="Fűtéskorszerűsítés", partner=partner))
    Opportunity.objects.create(  # the peer's, on the same partner
        company=org.company,
        owner=org.peer,
        partner=partner,
        name="A társé",
        stage=stage(org.company.pk, "New"),
        probability=10,
    )

    client.force_login(org.owner)
    response = _tab(client, partner)
    assert response.status_code == 200
    context = response.context
    assert [o.name for o in context["opportunities"]] == ["Bővítés", "Kazáncsere"]
    first = Opportunity.objects.get(pk=first.pk)  # the sent quote moved it to "Quoted"
    assert context["pipeline"] == [
        {
            "currency": "HUF",
            "count": 2,
            "value": first.value + D(100000),
            "weighted": first.value * first.probability / 100 + D(50000),
        }
    ]
    assert [q.pk for q in context["quotes"]] == [sent.pk]  # the accepted one is not open
    assert [p.name for p in context["projects"]] == ["Fűtéskorszerűsítés"]
    page = response.content.decode()
    assert "Megnyert régi" not in page and "A társé" not in page
    assert "Fűtéskorszerűsítés" in page and str(sent) in page

    client.force_login(org.supervisor)
    names = [o.name for o in _tab(client, partner).context["opportunities"]]
    assert "A társé" in names


def test_the_other_companys_manager_sees_none_of_it(org, client, partner):
    make_opportunity(org.owner, partner=partner, name="Kazáncsere")
    project_create(user=org.owner, project=Project(name="Fűtéskorszerűsítés", partner=partner))
    client.force_login(org.other_company_user)
    response = _tab(client, partner)
    if response.status_code == 200:  # the partner master is shared; its sales are not
        page = response.content.decode()
        assert "Kazáncsere" not in page and "Fűtéskorszerűsítés" not in page
        assert response.context["pipeline"] == []
    else:
        assert response.status_code == 404


def test_the_tab_is_for_those_who_see_the_partner(org, client, partner):
    url = reverse("partners:detail", args=[partner.pk]) + "?tab=sales"
    check_access(
        client,
        org,
        url,
        allowed={"owner", "supervisor", "second_supervisor", "boss", "superuser"}
        | {"other_company_user"},  # partners are shared by the own companies
        denied_status=(404,),
    )


def _queries(client, partner) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = _tab(client, partner)
    assert response.status_code == 200
    return len(captured)


def test_the_tab_costs_the_same_queries_for_one_record_and_many(org, client, partner):
    product = make_product("KAZ")
    opportunity = make_opportunity(org.owner, partner=partner, name="Egy")
    add_line(org.owner, opportunity, product)
    quote_from_opportunity(user=org.owner, opportunity=opportunity)
    project_create(user=org.owner, project=Project(name="P", partner=partner))
    client.force_login(org.supervisor)
    _tab(client, partner)
    one = _queries(client, partner)
    for n in range(12):
        order, (boiler, _pipe) = make_chain(org, partner=partner, name=f"Rendelés {n}")
        invoice_from_delivery(user=org.owner, delivery=deliver(org.owner, order, {boiler: "1"}))
    for n in range(15):
        more = make_opportunity(org.owner, partner=partner, name=f"Lehetőség {n}")
        add_line(org.owner, more, product, quantity=str(n + 1))
        quote_from_opportunity(user=org.owner, opportunity=more)
        project_create(user=org.owner, project=Project(name=f"Projekt {n}", partner=partner))
    _tab(client, partner)
    assert _queries(client, partner) == one
    context = _tab(client, partner).context
    assert len(context["opportunities"]) == 10 and context["more_opportunities"]
    assert len(context["quotes"]) == 10 and context["more_quotes"]
    assert len(context["orders"]) == 10 and context["more_orders"]
    assert len(context["invoices"]) == 10 and context["more_invoices"]


def test_orders_deliveries_due_invoices_and_turnover(org, client):
    import datetime

    from django.utils import timezone

    from sales.invoices import invoice_set_status
    from sales.models import Invoice, Order

    today = timezone.localdate()
    buyer = make_buyer(org.owner)
    late, (boiler, pipe) = make_chain(org, partner=buyer, name="Késő")
    Order.objects.filter(pk=late.pk).update(
        requested_delivery_on=today - datetime.timedelta(days=3)
    )
    soon, _lines = make_chain(org, partner=buyer, name="Hamarosan")
    Order.objects.filter(pk=soon.pk).update(
        requested_delivery_on=today + datetime.timedelta(days=5)
    )
    later, _lines = make_chain(org, partner=buyer, name="Később")
    Order.objects.filter(pk=later.pk).update(
        requested_delivery_on=today + datetime.timedelta(days=60)
    )
    done, (d_boiler, d_pipe) = make_chain(org, partner=buyer, name="Kész")
    delivery = deliver(org.owner, done, {d_boiler: "1", d_pipe: "10"})  # all: not pending
    paid = invoice_from_delivery(user=org.owner, delivery=delivery)
    invoice_set_status(user=org.superuser, invoice=paid, status="paid")
    part = deliver(org.owner, late, {boiler: "1"})  # partly delivered: still pending
    open_invoice = invoice_from_delivery(user=org.owner, delivery=part)
    Invoice.objects.filter(pk=open_invoice.pk).update(
        issued_on=today - datetime.timedelta(days=40),
        due_on=today - datetime.timedelta(days=10),
        fulfilled_on=datetime.date(today.year - 1, 12, 20),
    )
    client.force_login(org.owner)
    context = _tab(client, buyer).context
    assert [o.number for o in context["orders"]] == [late.number, soon.number, later.number]
    assert context["order_figures"] == {"count": 3, "due": 2, "late": 1}
    figures = context["invoice_figures"]
    assert (figures["open_count"], figures["overdue"], figures["paid_count"]) == (1, 1, 1)
    assert figures["open_huf"] == open_invoice.gross_total
    assert figures["paid_huf"] == paid.gross_total
    assert figures["this_year"] == paid.net_total
    assert figures["last_year"] == open_invoice.net_total
    assert [i.number for i in context["invoices"]] == [open_invoice.number]
    page = _tab(client, buyer).content.decode()
    assert late.number in page and done.number not in page
    # the peer sees none of it; the other company's manager neither
    for persona in ("peer", "other_company_user"):
        client.force_login(org.users[persona])
        response = _tab(client, buyer)
        if response.status_code == 200:
            assert response.context["orders"] == []
            assert response.context["invoice_figures"]["this_year"] == 0
