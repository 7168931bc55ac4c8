"""Quotes and their lines in the query builder: scoped like the screens, the list price and
discount given need-to-know."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission

from crm.querybuilder.engine import QueryError, build
from sales.quotes import quote_from_opportunity
from tests.access import member
from tests.crm.querybuilder.conftest import fresh
from tests.factories import UserFactory

from .helpers import add_line, make_opportunity, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def quotes(org):
    product = make_product("BIG", price="100000")
    mine = make_opportunity(org.owner, name="Olga üzlete")
    add_line(org.owner, mine, product, quantity="3", manual_discount=D(10), reason="régi vevő")
    theirs = make_opportunity(org.peer, name="Péter üzlete")
    add_line(org.peer, theirs, product, quantity="1")
    return (
        quote_from_opportunity(user=org.owner, opportunity=mine),
        quote_from_opportunity(user=org.peer, opportunity=theirs),
    )


def test_quotes_are_scoped_like_the_screens(org, quotes):
    spec = {
        "base": "quotes",
        "columns": ["title", "opportunity.name", "net_total"],
        "sort": [{"field": "net_total"}],
    }
    rows = build(spec, fresh(org.supervisor)).page().rows
    assert rows == [
        [quotes[1].title, "Péter üzlete", D(100000)],
        [quotes[0].title, "Olga üzlete", D(270000)],
    ]
    assert [r[1] for r in build(spec, fresh(org.owner)).page().rows] == ["Olga üzlete"]
    assert build(spec, fresh(org.other_company_user)).page().rows == []


def test_quote_lines_show_the_discount_given_to_who_may_know(org, quotes):
    spec = {
        "base": "quote_lines",
        "columns": ["quote.number", "quantity", "list_price", "discount_amount", "value"],
    }
    rows = build(spec, fresh(org.owner)).page().rows
    assert rows == [[quotes[0].number, D(3), D(100000), D(30000), D(270000)]]
    viewer = member(UserFactory(username="viewer"), org.company)
    viewer.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="sales", codename__in=["view_quote", "view_opportunity"]
        ),
        Permission.objects.get(content_type__app_label="crm", codename="run_query_builder"),
    )
    with pytest.raises(QueryError) as error:
        build(spec, fresh(viewer))
    assert "list_price" in str(error.value.args)
    plain = {"base": "quote_lines", "columns": ["quantity", "value"]}
    assert build(plain, fresh(viewer)).page().rows == []  # sees no quote of others


def test_opportunities_with_a_sent_quote(org, quotes):
    spec = {
        "base": "opportunities",
        "columns": ["name"],
        "filter": {
            "items": [
                {
                    "relation": "quotes",
                    "filter": {"items": [{"field": "status", "op": "equals", "value": "draft"}]},
                }
            ]
        },
        "sort": [{"field": "name"}],
    }
    assert build(spec, fresh(org.supervisor)).page().rows == [["Olga üzlete"], ["Péter üzlete"]]


def test_orders_and_their_lines_are_scoped_and_the_discount_need_to_know(org, quotes):
    from sales.orders import order_from_quote
    from sales.quotes import quote_set_status

    for quote, owner in ((quotes[0], org.owner), (quotes[1], org.peer)):
        quote_set_status(user=owner, quote=quote, status="sent")
        quote_set_status(user=owner, quote=quote, status="accepted")
        order_from_quote(user=owner, quote=quote)
    spec = {
        "base": "orders",
        "columns": ["opportunity.name", "net_total"],
        "sort": [{"field": "net_total"}],
    }
    assert build(spec, fresh(org.supervisor)).page().rows == [
        ["Péter üzlete", D(100000)],
        ["Olga üzlete", D(270000)],
    ]
    assert build(spec, fresh(org.owner)).page().rows == [["Olga üzlete", D(270000)]]
    assert build(spec, fresh(org.other_company_user)).page().rows == []
    lines = {"base": "order_lines", "columns": ["order.number", "quantity", "discount_percent"]}
    assert [row[1:] for row in build(lines, fresh(org.owner)).page().rows] == [[D(3), D(10)]]
    viewer = member(UserFactory(username="viewer"), org.company)
    viewer.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="sales", codename="view_order"),
        Permission.objects.get(content_type__app_label="crm", codename="run_query_builder"),
    )
    with pytest.raises(QueryError):
        build(lines, fresh(viewer))
    assert build({"base": "invoices", "columns": ["number"]}, fresh(org.owner)).page().rows == []
