"""Projects: planned products against quoted ones, opportunities, activities and documents
linked, who may open each screen, bad input, and constant queries."""

import datetime
from decimal import Decimal as D

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.defaults import ensure_defaults
from activities.models import Activity, ActivityType
from activities.services import activity_create
from sales.models import Project, ProjectActivity, ProjectOpportunity, ProjectProduct, Quote
from sales.projects import (
    product_progress,
    project_activity_link,
    project_create,
    project_opportunity_link,
    project_product_save,
    project_update,
)
from sales.quotes import quote_from_opportunity, quote_set_status
from tests.access import check_access
from tests.partners.conftest import make_partner

from .helpers import add_line, make_opportunity, make_product

pytestmark = pytest.mark.django_db
SEE_OWNERS = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}
WITH_FUNCTION = SEE_OWNERS | {"peer", "other_company_user"}


def make_project(owner, partner=None, name="Csarnokfűtés 2027", **fields) -> Project:
    partner = partner or make_partner(owner, name="Projekt Vevő Kft.")
    return project_create(user=owner, project=Project(name=name, partner=partner, **fields))


def plan_activity(user, partner, subject="Bejárás a helyszínen") -> Activity:
    ensure_defaults(django_apps)  # a transactional test before may have flushed the types
    activity = Activity(
        type=ActivityType.objects.get(code="call"),
        partner=partner,
        subject=subject,
        starts_at=timezone.now() + datetime.timedelta(days=1),
    )
    return activity_create(user=user, activity=activity)


@pytest.fixture
def project(org):
    return make_project(org.owner)


# ----------------------------------------------------------------------------- services


def test_planned_against_quoted_per_product(org, project):
    boiler, pipe, valve = (make_product(c, price="1000") for c in ("KAZ", "CSO", "SZE"))
    project_product_save(user=org.owner, project=project, product=boiler, planned=D(4))
    project_product_save(user=org.owner, project=project, product=pipe, planned=D("120.5"))
    first = make_opportunity(org.owner, partner=project.partner, name="Első ütem")
    add_line(org.owner, first, boiler, quantity="2")
    add_line(org.owner, first, valve, quantity="6")  # quoted without being planned
    second = make_opportunity(org.owner, partner=project.partner, name="Második ütem")
    add_line(org.owner, second, boiler, quantity="1")
    add_line(org.owner, second, pipe, quantity="30")
    outside = make_opportunity(org.owner, partner=project.partner, name="Nem a projekté")
    add_line(org.owner, outside, boiler, quantity="50")
    for opportunity in (first, second):
        project_opportunity_link(user=org.owner, project=project, opportunity=opportunity)
    for opportunity in (first, second, outside):
        quote_from_opportunity(user=org.owner, opportunity=opportunity)
    rejected = quote_from_opportunity(user=org.owner, opportunity=second)  # a second quote
    quote_set_status(user=org.owner, quote=rejected, status="sent")
    quote_set_status(user=org.owner, quote=rejected, status="rejected")

    rows = {row.product.code: row for row in product_progress(org.owner, project)}
    assert (rows["KAZ"].planned, rows["KAZ"].quoted, rows["KAZ"].quoted_share) == (D(4), D(3), 75)
    assert (rows["CSO"].planned, rows["CSO"].quoted, rows["CSO"].open_to_quote) == (
        D("120.5"),
        D(30),
        D("90.5"),
    )
    assert rows["SZE"].unplanned and rows["SZE"].quoted == D(6)
    assert list(rows) == ["KAZ", "CSO", "SZE"]


def test_a_replaced_quote_counts_in_its_latest_version_only(org, project):
    boiler = make_product("KAZ")
    project_product_save(user=org.owner, project=project, product=boiler, planned=D(10))
    opportunity = make_opportunity(org.owner, partner=project.partner)
    add_line(org.owner, opportunity, boiler, quantity="4")
    project_opportunity_link(user=org.owner, project=project, opportunity=opportunity)
    old = quote_from_opportunity(user=org.owner, opportunity=opportunity)
    new = quote_from_opportunity(user=org.owner, opportunity=opportunity)
    Quote.objects.filter(pk=new.pk).update(replaces=old)
    assert product_progress(org.owner, project)[0].quoted == D(4)


def test_quoted_counts_only_the_quotes_the_user_sees(org, project):
    boiler = make_product("KAZ")
    project_product_save(user=org.owner, project=project, product=boiler, planned=D(10))
    opportunity = make_opportunity(org.owner, partner=project.partner)
    add_line(org.owner, opportunity, boiler, quantity="4")
    project_opportunity_link(user=org.owner, project=project, opportunity=opportunity)
    quote_from_opportunity(user=org.owner, opportunity=opportunity)
    assert product_progress(org.supervisor, project)[0].quoted == D(4)
    assert product_progress(org.other_company_user, project)[0].quoted == D(0)


def test_an_opportunity_belongs_to_one_project_of_its_partner(org, project):
    opportunity = make_opportunity(org.owner, partner=project.partner)
    project_opportunity_link(user=org.owner, project=project, opportunity=opportunity)
    other = make_project(org.owner, partner=project.partner, name="Másik projekt")
    with pytest.raises(ValidationError) as error:
        project_opportunity_link(user=org.owner, project=other, opportunity=opportunity)
    assert "Csarnokfűtés 2027" in error.value.messages[0]
    stranger = make_opportunity(org.owner, name="Más vevőé")
    with pytest.raises(ValidationError):
        project_opportunity_link(user=org.owner, project=project, opportunity=stranger)
    peers = make_opportunity(org.peer, partner=make_partner(org.peer, name="Társ vevője"))
    with pytest.raises(PermissionDenied):
        project_opportunity_link(user=org.peer, project=project, opportunity=peers)
    assert ProjectOpportunity.objects.count() == 1


def test_a_project_is_for_a_partner_one_sees_and_ends_after_it_starts(org):
    hidden = make_partner(org.peer, name="A társ vevője")
    with pytest.raises(PermissionDenied):
        make_project(org.owner, partner=hidden)
    with pytest.raises(ValidationError) as error:
        make_project(
            org.owner, start_on=datetime.date(2027, 3, 1), end_on=datetime.date(2027, 2, 1)
        )
    assert "end_on" in error.value.message_dict
    assert not Project.objects.exists()


def test_planned_products_refuse_zero_duplicates_and_products_no_longer_sold(org, project):
    boiler = make_product("KAZ")
    project_product_save(user=org.owner, project=project, product=boiler, planned=D(1))
    for planned in (D(0), D(-2)):
        with pytest.raises(ValidationError):
            project_product_save(user=org.owner, project=project, product=boiler, planned=planned)
    with pytest.raises(ValidationError) as error:
        project_product_save(user=org.owner, project=project, product=boiler, planned=D(3))
    assert "már szerepel a projektben" in str(error.value)
    old = make_product("REGI", active=False)
    with pytest.raises(ValidationError):
        project_product_save(user=org.owner, project=project, product=old, planned=D(1))
    with pytest.raises(PermissionDenied):
        project_product_save(user=org.peer, project=project, product=boiler, planned=D(1))
    assert list(ProjectProduct.objects.values_list("planned", flat=True)) == [D(1)]


def test_a_stale_edit_does_not_overwrite_a_newer_save(org, project):
    from crm.versioning import Conflict

    first = Project.objects.get(pk=project.pk)
    second = Project.objects.get(pk=project.pk)
    first.name = "Új név"
    project_update(user=org.owner, project=first, expected_version=first.version)
    second.description = "Régi lapról"
    with pytest.raises(Conflict):
        project_update(user=org.supervisor, project=second, expected_version=second.version)
    project.refresh_from_db()
    assert (project.name, project.description) == ("Új név", "")


def test_activities_of_the_partner_are_linked(org, project):
    meeting = plan_activity(org.owner, project.partner)
    project_activity_link(user=org.owner, project=project, activity=meeting)
    project_activity_link(user=org.owner, project=project, activity=meeting)  # twice: harmless
    elsewhere = plan_activity(org.owner, make_partner(org.owner, name="Más Kft."))
    with pytest.raises(ValidationError):
        project_activity_link(user=org.owner, project=project, activity=elsewhere)
    assert list(ProjectActivity.objects.values_list("activity_id", flat=True)) == [meeting.pk]


# ----------------------------------------------------------------------------- screens


def test_list_and_new_are_for_users_with_the_function(org, client, project):
    for name in ("sales:projects", "sales:project-start"):
        check_access(client, org, reverse(name), allowed=WITH_FUNCTION, denied_status=(403,))


def test_the_list_shows_only_the_projects_the_user_sees(org, client, project):
    make_project(org.peer, partner=make_partner(org.peer, name="Társ partnere"), name="A társé")
    client.force_login(org.owner)
    page = client.get(reverse("sales:projects")).content.decode()
    assert "Csarnokfűtés 2027" in page and "A társé" not in page
    client.force_login(org.supervisor)
    assert "A társé" in client.get(reverse("sales:projects")).content.decode()
    client.force_login(org.other_company_user)
    assert "Csarnokfűtés" not in client.get(reverse("sales:projects")).content.decode()


def test_the_project_page_and_edit_form_are_for_those_who_see_it(org, client, project):
    check_access(client, org, reverse("sales:project", args=[project.pk]), allowed=SEE_OWNERS)
    url = reverse("sales:project-edit", args=[project.pk])
    check_access(client, org, url, allowed=SEE_OWNERS)
    check_access(
        client,
        org,
        url,
        allowed=SEE_OWNERS,
        method="post",
        data={"name": "Ellopva", "status": "running"},
        row=project,
    )


def test_a_new_project_needs_a_partner_the_user_sees(org, client):
    partner = make_partner(org.owner, name="Saját Vevő Kft.")
    check_access(
        client,
        org,
        reverse("sales:project-create", args=[partner.pk]),
        # the partner master is shared: the other company's manager sees the partner too
        allowed=SEE_OWNERS | {"other_company_user"},
        denied_status=(403, 404),
    )
    client.force_login(org.owner)
    response = client.post(
        reverse("sales:project-create", args=[partner.pk]),
        {"name": "Új raktár", "status": "planned", "start_on": "2027-01-10", "end_on": ""},
    )
    project = Project.objects.get(name="Új raktár")
    assert response.status_code == 302 and project.owner == org.owner
    assert project.company == org.company and project.start_on == datetime.date(2027, 1, 10)


def test_products_and_links_refuse_who_may_not_change_the_project(org, client, project):
    boiler = make_product("KAZ")
    item = project_product_save(user=org.owner, project=project, product=boiler, planned=D(2))
    opportunity = make_opportunity(org.owner, partner=project.partner)
    meeting = plan_activity(org.owner, project.partner)
    posts = [
        ("sales:project-product-add", [project.pk], {"product": boiler.pk, "planned": "5"}),
        (
            "sales:project-product-edit",
            [project.pk, item.pk],
            {"product": boiler.pk, "planned": "9"},
        ),
        ("sales:project-product-remove", [project.pk, item.pk], {}),
        ("sales:project-opportunity-link", [project.pk], {"record": opportunity.pk}),
        ("sales:project-opportunity-unlink", [project.pk], {"record": opportunity.pk}),
        ("sales:project-activity-link", [project.pk], {"record": meeting.pk}),
        ("sales:project-activity-unlink", [project.pk], {"record": meeting.pk}),
    ]
    for name, args, data in posts:
        for persona in ("peer", "other_company_user", "outsider"):
            client.force_login(org.users[persona])
            response = client.post(reverse(name, args=args), data)
            assert response.status_code == 404, (name, persona, response.status_code)
    item.refresh_from_db()
    assert item.planned == D(2) and ProjectProduct.objects.count() == 1
    assert not ProjectOpportunity.objects.exists() and not ProjectActivity.objects.exists()
    check_access(
        client,
        org,
        reverse("sales:project-product-edit", args=[project.pk, item.pk]),
        allowed=SEE_OWNERS,
    )


def test_the_page_shows_planned_and_quoted_and_the_linked_records(org, client, project):
    from documents.services import document_create

    boiler = make_product("KAZ")
    project_product_save(user=org.owner, project=project, product=boiler, planned=D(4))
    opportunity = make_opportunity(org.owner, partner=project.partner, name="Első ütem")
    add_line(org.owner, opportunity, boiler, quantity="3")
    client.force_login(org.owner)
    response = client.post(
        reverse("sales:project-opportunity-link", args=[project.pk]), {"record": opportunity.pk}
    )
    assert response.status_code == 302
    quote_from_opportunity(user=org.owner, opportunity=opportunity)
    meeting = plan_activity(org.owner, project.partner)
    client.post(reverse("sales:project-activity-link", args=[project.pk]), {"record": meeting.pk})
    document_create(
        user=org.owner, company_id=org.company.pk, links=[project], title="Kiviteli terv"
    )
    page = client.get(reverse("sales:project", args=[project.pk])).content.decode()
    assert "Első ütem" in page and "Bejárás a helyszínen" in page and "Kiviteli terv" in page
    row = page.split('data-testid="project-product-KAZ"')[1].split("</tr>")[0]
    assert ">4 db<" in row.replace("\xa0", " ") and ">3 db<" in row.replace("\xa0", " ")
    assert ">0 db<" in row.replace("\xa0", " ")  # nothing ordered yet
    # the attach button carries the project, so the new document is linked to it
    assert f"?project={project.pk}" in page


def test_bad_input_gets_a_message_and_saves_nothing(org, client, project):
    boiler = make_product("KAZ")
    client.force_login(org.owner)
    client.cookies["crm_language"] = "en"
    url = reverse("sales:project-product-add", args=[project.pk])
    for planned, message in (
        ("0", "more than zero"),
        ("-3", "more than zero"),
        ("sok", "Type a number"),
        ("", "required"),
    ):
        response = client.post(url, {"product": boiler.pk, "planned": planned})
        assert response.status_code == 200 and message in response.content.decode()
    assert not ProjectProduct.objects.exists()
    response = client.post(url, {"product": boiler.pk, "planned": "1 234,5"})
    assert response.status_code == 302
    assert ProjectProduct.objects.get().planned == D("1234.5")
    response = client.post(url, {"product": boiler.pk, "planned": "2"})
    assert "already on the project" in response.content.decode()
    response = client.post(url, {"product": "999999", "planned": "2"})
    assert response.status_code == 200
    edit = reverse("sales:project-edit", args=[project.pk])
    response = client.post(
        edit,
        {"name": "X", "status": "running", "start_on": "2027-05-01", "end_on": "2027-04-01"},
    )
    assert response.status_code == 200
    assert "cannot end before it starts" in response.content.decode()
    response = client.post(edit, {"name": "", "status": "nincs ilyen"})
    assert response.status_code == 200
    for link in ("sales:project-opportunity-link", "sales:project-activity-link"):
        response = client.post(reverse(link, args=[project.pk]), {"record": "abc"}, follow=True)
        assert response.status_code == 200 and "Choose an" in response.content.decode()
    stranger = make_opportunity(org.owner, name="Más vevőé")
    response = client.post(
        reverse("sales:project-opportunity-link", args=[project.pk]),
        {"record": stranger.pk},
        follow=True,
    )
    assert "Only the project partner" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Csarnokfűtés 2027" and not ProjectOpportunity.objects.exists()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_one_row_and_fifty(org, client):
    partner = make_partner(org.owner, name="Nagy Vevő Zrt.")
    make_project(org.owner, partner=partner, name="Első")
    client.force_login(org.supervisor)
    client.get(reverse("sales:projects"))
    one = _queries(client, reverse("sales:projects"))
    for n in range(55):
        owner = org.owner if n % 2 else org.peer
        other = partner if owner == org.owner else make_partner(owner, name=f"Vevő {n}")
        Project.objects.create(company=org.company, owner=owner, partner=other, name=f"Projekt {n}")
    assert _queries(client, reverse("sales:projects")) == one
    response = client.get(reverse("sales:projects"))
    assert len(response.context["rows"]) == 50 and response.context["next_url"]
    second = client.get(reverse("sales:projects") + response.context["next_url"])
    shown = {p.pk for p in response.context["rows"]} | {p.pk for p in second.context["rows"]}
    assert len(shown) == 56


def test_the_page_costs_the_same_queries_whatever_it_holds(org, client, project):
    client.force_login(org.owner)
    url = reverse("sales:project", args=[project.pk])
    client.get(url)
    empty = _queries(client, url)
    for n in range(6):
        product = make_product(f"P-{n}")
        project_product_save(user=org.owner, project=project, product=product, planned=D(n + 1))
        opportunity = make_opportunity(org.owner, partner=project.partner, name=f"Ütem {n}")
        add_line(org.owner, opportunity, product, quantity="1")
        project_opportunity_link(user=org.owner, project=project, opportunity=opportunity)
        quote_from_opportunity(user=org.owner, opportunity=opportunity)
        project_activity_link(
            user=org.owner, project=project, activity=plan_activity(org.owner, project.partner)
        )
    client.get(url)  # the forced-closure check, forgotten when an activity was saved, again cached
    assert _queries(client, url) == empty


def test_the_activity_page_names_its_projects_to_those_who_see_them(org, client, project):
    call = plan_activity(org.owner, project.partner)
    project_activity_link(user=org.owner, project=project, activity=call)
    url = reverse("activities:detail", args=[call.pk])
    client.force_login(org.owner)
    section = client.get(url).content.decode().split('data-testid="activity-projects"')[1]
    assert "Csarnokfűtés 2027" in section.split("</div>")[0]
    Project.objects.filter(pk=project.pk).update(owner=org.peer)  # no longer the owner's
    client.force_login(org.owner)
    section = client.get(url).content.decode().split('data-testid="activity-projects"')[1]
    assert "Csarnokfűtés 2027" not in section.split("</div>")[0]


def test_projects_and_their_planned_products_in_the_query_builder(org, project):
    from crm.querybuilder.engine import build
    from tests.crm.querybuilder.conftest import fresh

    project_product_save(
        user=org.owner, project=project, product=make_product("KAZ"), planned=D("2.5")
    )
    make_project(org.peer, partner=make_partner(org.peer, name="Társ partnere"), name="A társé")
    spec = {"base": "projects", "columns": ["name", "partner.name"], "sort": [{"field": "name"}]}
    assert build(spec, fresh(org.owner)).page().rows == [["Csarnokfűtés 2027", "Projekt Vevő Kft."]]
    assert [r[0] for r in build(spec, fresh(org.supervisor)).page().rows] == [
        "A társé",
        "Csarnokfűtés 2027",
    ]
    assert build(spec, fresh(org.other_company_user)).page().rows == []
    lines = {"base": "project_products", "columns": ["project.name", "product.code", "planned"]}
    assert build(lines, fresh(org.owner)).page().rows == [["Csarnokfűtés 2027", "KAZ", D("2.5")]]
    assert build(lines, fresh(org.peer)).page().rows == []


def test_ordered_and_delivered_per_product_from_the_projects_orders(org, project):
    from sales.orders import delivery_create, order_cancel, order_from_quote

    boiler, pipe = make_product("KAZ", price="1000"), make_product("CSO", price="10")
    project_product_save(user=org.owner, project=project, product=boiler, planned=D(4))
    project_product_save(user=org.owner, project=project, product=pipe, planned=D(100))

    def ordered(name, quantities):
        opportunity = make_opportunity(org.owner, partner=project.partner, name=name)
        for product, quantity in quantities:
            add_line(org.owner, opportunity, product, quantity=quantity)
        project_opportunity_link(user=org.owner, project=project, opportunity=opportunity)
        quote = quote_from_opportunity(user=org.owner, opportunity=opportunity)
        quote_set_status(user=org.owner, quote=quote, status="sent")
        quote_set_status(user=org.owner, quote=quote, status="accepted")
        return order_from_quote(user=org.owner, quote=quote)

    first = ordered("Első ütem", [(boiler, "2"), (pipe, "40")])
    lines = {line.product_id: line for line in first.lines.all()}
    delivery_create(
        user=org.owner,
        order=first,
        quantities={lines[boiler.pk].pk: D(1), lines[pipe.pk].pk: D(40)},
    )
    cancelled = ordered("Visszavont", [(boiler, "5")])
    order_cancel(user=org.owner, order=cancelled, expected_version=cancelled.version)
    outside = make_opportunity(org.owner, partner=project.partner, name="Nem a projekté")
    add_line(org.owner, outside, boiler, quantity="9")

    rows = {row.product.code: row for row in product_progress(org.owner, project)}
    kaz, cso = rows["KAZ"], rows["CSO"]
    assert (kaz.planned, kaz.quoted, kaz.ordered, kaz.delivered) == (D(4), D(7), D(2), D(1))
    assert (cso.planned, cso.ordered, cso.delivered, cso.delivered_share) == (
        D(100),
        D(40),
        D(40),
        40,
    )
    # the peer, who sees none of the orders, reads none of it
    assert product_progress(org.peer, project)[0].ordered == D(0)
