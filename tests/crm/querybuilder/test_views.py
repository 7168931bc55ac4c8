"""The query builder's pages (crm/querybuilder/views.py): who may use them, what a bad query
shows, that the preview's queries do not grow with its rows, the run and print views."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.groups import ensure_default_groups
from partners.models import Partner
from partners.services import partner_create
from tests.access import build_org

LIST_SPEC = {"base": "partners", "columns": ["name", "city"], "sort": [{"field": "name"}]}


@pytest.fixture
def org(db):
    ensure_default_groups()
    return build_org()


def make_partner(owner, name, **fields):
    return partner_create(
        user=owner, partner=Partner(name=name, city=fields.pop("city", "Szeged"), **fields)
    )


def _preview(client, spec, **extra):
    body = spec if isinstance(spec, str) else json.dumps(spec)
    return client.post(
        reverse("querybuilder:preview"), {"spec": body, **extra}, HTTP_HX_REQUEST="true"
    )


# --- Who may use it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,method",
    [
        ("querybuilder:builder", "get"),
        ("querybuilder:catalog", "get"),
        ("querybuilder:preview", "post"),
        ("querybuilder:print", "post"),
    ],
)
def test_every_page_needs_the_query_builder_function(client, org, name, method):
    from crm.models import Membership
    from tests.factories import UserFactory

    data = {"spec": json.dumps(LIST_SPEC)} if method == "post" else {}
    # a member of the company in no group, and the outsider: no crm.run_query_builder
    plain = UserFactory(username="plain", current_company=org.company)
    Membership.objects.create(user=plain, company=org.company)
    for user in (plain, org.outsider):
        client.force_login(user)
        assert getattr(client, method)(reverse(name), data).status_code == 403, user
    for persona in ("owner", "supervisor"):  # reps and managers have it
        client.force_login(org.users[persona])
        assert getattr(client, method)(reverse(name), data).status_code == 200, persona
    client.logout()
    response = getattr(client, method)(reverse(name), data)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_builder_page_carries_the_catalog_and_no_inline_script(client, org):
    client.force_login(org.supervisor)
    response = client.get(reverse("querybuilder:builder"))
    html = response.content.decode()
    assert 'id="qb-catalog" type="application/json"' in html
    assert 'id="qb-strings" type="application/json"' in html
    # every script either loads a file or is JSON data (the CSP allows no inline script)
    for chunk in html.split("<script")[1:]:
        head = chunk.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head, head
    catalog = client.get(reverse("querybuilder:catalog")).json()
    assert any(base["key"] == "partners" for base in catalog["bases"])


def test_the_preview_shows_only_the_rows_the_user_may_see(client, org):
    make_partner(org.owner, name="Tulaj Kft.")
    make_partner(org.peer, name="Társ Bt.")
    client.force_login(org.supervisor)
    html = _preview(client, LIST_SPEC).content.decode()
    assert "Tulaj Kft." in html and "Társ Bt." in html
    # a rep runs the same query and sees only their own partners
    client.force_login(org.owner)
    html = _preview(client, LIST_SPEC).content.decode()
    assert "Tulaj Kft." in html and "Társ Bt." not in html
    client.force_login(org.peer)
    html = _preview(client, LIST_SPEC).content.decode()
    assert "Tulaj Kft." not in html and "Társ Bt." in html


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "not json",
        "[1, 2]",
        json.dumps({"base": "auth_user", "columns": ["password"]}),
        json.dumps({"base": "partners", "columns": ["owner__password"]}),
        json.dumps({"base": "partners", "columns": ["name"], "sort": [{"field": "notes__x"}]}),
        json.dumps(
            {
                "base": "partners",
                "columns": ["name"],
                "filter": {
                    "items": [{"field": "created_at", "op": "equals", "value": "2026. 13. 45."}]
                },
            }
        ),
        json.dumps(
            {
                "base": "partners",
                "columns": ["name"],
                "filter": {"items": [{"field": "city", "op": "in", "value": ["x"] * 10_000}]},
            }
        ),
        json.dumps({"base": "partners", "columns": ["name"], "filter": "DROP TABLE"}),
        # groups nested thousands deep, and brackets nested deeper than JSON parsers go
        '{"base": "partners", "columns": ["name"], "filter": '
        + '{"items": [' * 3000
        + "]}" * 3000
        + "}",
        "[" * 150_000,
        json.dumps({"base": "partners", "columns": ["name"] * 500 + [{"x": 1}]}),
    ],
)
def test_a_hostile_query_gets_a_clear_message_naming_its_part_not_a_500(client, org, spec):
    client.force_login(org.supervisor)
    response = _preview(client, spec)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="qb-problem"' in html
    part = html.split('data-testid="qb-problem-part">', 1)[1].split("</div>", 1)[0]
    message = html.split('data-testid="qb-problem-message">', 1)[1].split("</div>", 1)[0]
    assert part.strip().replace('<i class="bi bi-exclamation-triangle"></i>', "").strip()
    assert message.strip()


def test_a_query_too_large_to_be_a_query_is_refused_with_a_message(client, org):
    client.force_login(org.supervisor)
    spec = json.dumps({"base": "partners", "columns": ["name"], "x": "y" * 300_000})
    html = _preview(client, spec).content.decode()
    assert 'data-testid="qb-problem"' in html


# --- The preview ----------------------------------------------------------------------------


def test_the_preview_issues_the_same_number_of_queries_for_1_and_50_rows(client, org):
    client.force_login(org.supervisor)
    spec = {"base": "partners", "columns": ["name", "city", "county", "status", "owner"]}
    make_partner(org.owner, name="Partner 00")
    _preview(client, spec)  # fills the cached access profile
    with CaptureQueriesContext(connection) as one:
        first = _preview(client, spec)
    assert first.content.decode().count("<tr>") == 2  # the header and one row
    for index in range(1, 50):
        make_partner(org.owner if index % 2 else org.peer, name=f"Partner {index:02d}")
    with CaptureQueriesContext(connection) as fifty:
        response = _preview(client, spec)
    assert response.content.decode().count("<tr>") == 51
    assert len(one) == len(fifty), [q["sql"] for q in fifty.captured_queries]


def test_the_preview_pages_by_keyset_and_shows_the_count(client, org):
    for index in range(55):
        make_partner(org.owner, name=f"Partner {index:02d}")
    client.force_login(org.supervisor)
    first = _preview(client, LIST_SPEC)
    html = first.content.decode()
    assert "Partner 00" in html and "Partner 49" in html and "Partner 50" not in html
    # the count is asked by the page once the rows are there, with the same query
    assert 'data-testid="qb-count-pending"' in html
    counted = client.post(reverse("querybuilder:count"), {"spec": json.dumps(LIST_SPEC)})
    assert 'data-testid="qb-count"' in counted.content.decode()
    assert "55" in counted.content.decode()
    after = first.context["next"]
    assert after
    second = _preview(client, LIST_SPEC, after=after).content.decode()
    assert "Partner 50" in second and "Partner 54" in second and "Partner 49" not in second
    assert 'data-testid="qb-previous"' in second


def test_a_grouped_preview_has_a_table_and_the_chart_data(client, org):
    make_partner(org.owner, name="A Kft.")
    make_partner(org.owner, name="B Kft.")
    make_partner(org.peer, name="C Kft.")
    client.force_login(org.supervisor)
    spec = {
        "base": "partners",
        "columns": ["name"],
        "group": {"by": [{"field": "owner"}], "measures": [{"fn": "count"}]},
    }
    response = _preview(client, spec)
    html = response.content.decode()
    assert 'data-testid="qb-table"' in html
    chart = response.context["chart"]
    assert sorted(chart["datasets"][0]["data"]) == [1, 2]
    assert "data-qb-chart=" in html
    assert json.loads(response.context["chart_json"]) == chart


# --- Print ----------------------------------------------------------------------------------


def test_the_print_view_has_the_title_filters_date_user_and_table(client, org):
    make_partner(org.owner, name="Pesti Kft.", city="Budaörs", county="PE")
    make_partner(org.owner, name="Szegedi Kft.", city="Szeged", county="CS")
    client.force_login(org.supervisor)
    spec = {
        "base": "partners",
        "columns": ["name", "city"],
        "filter": {"any": False, "items": [{"field": "county", "op": "equals", "value": "PE"}]},
    }
    response = client.post(reverse("querybuilder:print"), {"spec": json.dumps(spec)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Pesti Kft." in html and "Szegedi Kft." not in html
    assert 'data-testid="qb-print-filters"' in html and "Pest" in html
    assert org.supervisor.get_full_name() in html
    assert "qb-print-portrait" in html


def test_a_print_is_audited_as_an_export_and_a_refused_one_is_not(client, org):
    from crm.querybuilder.models import ExportRecord

    make_partner(org.owner, name="Nyomtatott Kft.", county="PE")
    client.force_login(org.supervisor)
    spec = {"base": "partners", "columns": ["name"]}
    client.post(reverse("querybuilder:print"), {"spec": json.dumps(spec)})
    record = ExportRecord.objects.get()
    assert (record.user, record.format, record.rows, record.state) == (
        org.supervisor,
        "print",
        1,
        "done",
    )
    assert record.spec["base"] == "partners" and record.finished_at is not None
    client.post(reverse("querybuilder:print"), {"spec": json.dumps({"base": "nope"})})
    assert ExportRecord.objects.count() == 1


def test_the_print_view_is_landscape_past_six_columns(client, org):
    make_partner(org.owner, name="Széles Kft.")
    client.force_login(org.supervisor)
    catalog = client.get(reverse("querybuilder:catalog")).json()
    fields = [f["key"] for f in catalog["entities"]["partners"]["fields"]][:7]
    assert len(fields) == 7
    spec = {"base": "partners", "columns": fields}
    html = client.post(reverse("querybuilder:print"), {"spec": json.dumps(spec)}).content.decode()
    assert "qb-print-landscape" in html
    assert "Széles Kft." in html


def test_the_print_view_of_a_bad_query_shows_the_problem(client, org):
    client.force_login(org.supervisor)
    spec = json.dumps({"base": "nope", "columns": ["x"]})
    response = client.post(reverse("querybuilder:print"), {"spec": spec})
    assert response.status_code == 200
    assert 'data-testid="qb-problem"' in response.content.decode()


def test_the_count_is_only_for_those_with_the_function(client, org):
    make_partner(org.owner, name="Számolt Kft.")
    for persona, status in (("outsider", 403), ("owner", 200)):
        client.force_login(getattr(org, persona))
        response = client.post(reverse("querybuilder:count"), {"spec": json.dumps(LIST_SPEC)})
        assert response.status_code == status
    # a rep counts their own rows only; a hostile spec counts nothing, without a 500
    assert "1" in response.content.decode()
    bad = client.post(reverse("querybuilder:count"), {"spec": '{"base": "nope"'})
    assert bad.status_code == 200 and bad.content.decode().strip() == ""
