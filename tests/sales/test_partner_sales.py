"""The partner page's sales tab: the 360° view of a partner's business with the company, of
the records the user sees only, in a constant number of queries."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.models import Opportunity, Project
from sales.projects import project_create
from sales.quotes import quote_from_opportunity, quote_set_status
from tests.access import check_access
from tests.partners.conftest import make_partner

from .helpers import add_line, make_opportunity, make_product, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(org):
    return make_partner(org.owner, name="Körkép Vevő Kft.")


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
