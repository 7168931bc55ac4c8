"""Sales models in the query builder: scoped like the screens, prices need-to-know."""

from decimal import Decimal as D

import pytest

from crm.querybuilder.engine import QueryError, build
from tests.crm.querybuilder.conftest import fresh

from .helpers import add_line, make_opportunity, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(org):
    big = make_product("BIG", price="100000")
    mine = make_opportunity(org.owner, name="Olga üzlete")
    add_line(org.owner, mine, big, quantity="3")
    theirs = make_opportunity(org.peer, name="Péter üzlete")
    add_line(org.peer, theirs, big, quantity="1")
    return mine, theirs


def test_opportunities_by_owner_with_value_and_weighted_value(org, deals):
    spec = {
        "base": "opportunities",
        "columns": ["name", "partner.name", "value", "weighted_value"],
        "sort": [{"field": "name"}],
    }
    rows = build(spec, fresh(org.supervisor)).page().rows
    assert [row[0] for row in rows] == ["Olga üzlete", "Péter üzlete"]
    assert rows[0][2] == D("300000") and rows[0][3] == D("30000")
    # a rep sees only their own; another company nothing
    assert [r[0] for r in build(spec, fresh(org.owner)).page().rows] == ["Olga üzlete"]
    assert build(spec, fresh(org.other_company_user)).page().rows == []


def test_lines_are_scoped_by_their_opportunity(org, deals):
    spec = {"base": "opportunity_lines", "columns": ["opportunity.name", "quantity"]}
    assert build(spec, fresh(org.owner)).page().rows == [["Olga üzlete", D(3)]]


def test_opportunities_with_a_line_of_a_product(org, deals):
    product = make_product("SMALL", price="10")
    add_line(org.owner, deals[0], product, quantity="5")
    spec = {
        "base": "opportunities",
        "columns": ["name"],
        "filter": {
            "items": [
                {
                    "relation": "lines",
                    "filter": {"items": [{"field": "quantity", "op": "gt", "value": "4"}]},
                }
            ]
        },
    }
    assert build(spec, fresh(org.supervisor)).page().rows == [["Olga üzlete"]]


def test_discounts_are_need_to_know(org, deals):
    from django.contrib.auth.models import Permission

    from tests.access import member
    from tests.factories import UserFactory

    spec = {"base": "opportunity_lines", "columns": ["discount_percent", "price_source"]}
    assert build(spec, fresh(org.owner)).page().rows  # reps read the discount rules
    viewer = member(UserFactory(username="viewer"), org.company)
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="sales", codename="view_opportunity"),
        Permission.objects.get(content_type__app_label="crm", codename="run_query_builder"),
    )
    with pytest.raises(QueryError) as error:
        build(spec, fresh(viewer))
    assert "discount_percent" in str(error.value.args)
    plain = {"base": "opportunity_lines", "columns": ["quantity", "value"]}
    assert build(plain, fresh(viewer)).page().rows == []  # sees no opportunity of others
