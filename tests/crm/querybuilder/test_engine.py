"""The engine: a spec becomes a scoped queryset; fields, relations and values only through
the registry; every mistake a clear message naming its part."""

import pytest

from crm.querybuilder.engine import QueryError, build
from tests.crm.querybuilder.conftest import fresh

pytestmark = pytest.mark.django_db

PEST_ACTIVE_WITH_MEETING = {
    "base": "partners",
    "columns": ["name", "city", "status", "owner"],
    "filter": {
        "items": [
            {"field": "county", "op": "equals", "value": "PE"},
            {"field": "status", "op": "equals", "value": "active"},
            {
                "relation": "activities",
                "has": True,
                "filter": {
                    "items": [
                        {"field": "kind", "op": "equals", "value": "meeting"},
                        {"field": "starts_at", "op": "relative", "value": "this_quarter"},
                    ]
                },
            },
        ]
    },
    "sort": [{"field": "name"}],
}


def names(built):
    return [row[0] for row in built.page().rows]


def test_the_managers_question_gives_the_active_pest_partner_with_a_meeting(org, data):
    built = build(PEST_ACTIVE_WITH_MEETING, fresh(org.supervisor))
    page = built.page()
    assert page.rows == [["Pesti Gép Kft.", "Budaörs", "aktív", "Tulaj Olga"]] or page.rows == [
        ["Pesti Gép Kft.", "Budaörs", "active", "Tulaj Olga"]
    ]
    assert built.count() == 1


def test_grouped_by_owner_counts_each_reps_partners(org, data):
    spec = {
        "base": "partners",
        "group": {"by": [{"field": "owner"}], "measures": [{"fn": "count"}]},
    }
    rows = build(spec, fresh(org.supervisor)).page().rows
    assert sorted(rows) == [["Tulaj Olga", 2], ["Társ Péter", 1]]
    # the rep sees only their own rows, whoever made the query
    assert build(spec, fresh(org.owner)).page().rows == [["Tulaj Olga", 2]]
    assert build(spec, fresh(org.peer)).page().rows == [["Társ Péter", 1]]


def test_a_partner_whose_financial_contact_has_no_email(org, data):
    spec = {
        "base": "partners",
        "columns": ["name"],
        "filter": {
            "items": [
                {
                    "relation": "contacts",
                    "filter": {
                        "items": [
                            {"field": "types", "op": "equals", "value": data["financial"].pk},
                            {"field": "email", "op": "empty"},
                        ]
                    },
                }
            ]
        },
    }
    assert names(build(spec, fresh(org.supervisor))) == ["Pesti Gép Kft."]


def test_partners_without_a_meeting_of_a_colleague_they_cannot_see(org, data):
    # the peer's meeting is not the owner's to know: "has activities" looks only at visible ones
    spec = {
        "base": "partners",
        "columns": ["name"],
        "filter": {"items": [{"relation": "activities", "has": False}]},
    }
    assert names(build(spec, fresh(org.owner))) == ["Gödöllői Fa Bt."]


def test_activities_follow_their_partner_to_its_county(org, data):
    spec = {
        "base": "activities",
        "columns": ["subject", "partner.name", "partner.county", "owner"],
        "filter": {"items": [{"field": "partner.county", "op": "in", "value": ["PE", "CS"]}]},
        "sort": [{"field": "partner.name", "desc": True}],
    }
    rows = build(spec, fresh(org.supervisor)).page().rows
    assert [r[1] for r in rows] == ["Szegedi Szerszám Zrt.", "Pesti Gép Kft."]
    assert [r[1] for r in build(spec, fresh(org.owner)).page().rows] == ["Pesti Gép Kft."]


def test_meetings_per_rep_per_week(org, data):
    spec = {
        "base": "activities",
        "filter": {"items": [{"field": "starts_at", "op": "relative", "value": "this_quarter"}]},
        "group": {"by": [{"field": "owner"}, {"field": "starts_at", "trunc": "week"}]},
    }
    built = build(spec, fresh(org.supervisor))
    rows = built.page().rows
    assert sorted(r[0] for r in rows) == ["Tulaj Olga", "Társ Péter"]
    assert all(r[2] == 1 for r in rows)
    chart = built.chart()
    assert len(chart["datasets"]) == 2 and len(chart["labels"]) >= 1


def test_a_chart_of_two_groupings_keeps_the_weeks_in_order(org, data):
    import datetime

    from django.utils import timezone

    from tests.crm.querybuilder.conftest import meeting

    now = timezone.now()
    # the owner's only meeting is weeks after the peer's first ones: their weeks come first
    meeting(org.peer, data["szeged"], starts_at=now - datetime.timedelta(days=60))
    meeting(org.peer, data["szeged"], starts_at=now - datetime.timedelta(days=30))
    spec = {
        "base": "activities",
        "group": {"by": [{"field": "owner"}, {"field": "starts_at", "trunc": "week"}]},
    }
    chart = build(spec, fresh(org.supervisor)).chart()
    parsed = [datetime.datetime.strptime(label, "%Y. %m. %d.") for label in chart["labels"]]
    assert parsed == sorted(parsed) and len(parsed) == 3


def test_keyset_pages_walk_every_row_once(org, data):
    from tests.partners.conftest import make_partner

    for number in range(7):
        make_partner(org.owner, f"Lap {number} Kft.", city=None or "", county="")
    spec = {"base": "partners", "columns": ["name", "city"], "sort": [{"field": "city"}]}
    built = build(spec, fresh(org.owner))
    seen, after = [], ""
    while True:
        page = built.page(after=after, size=3)
        seen += [r[0] for r in page.rows]
        if not page.next:
            break
        after = page.next
    assert len(seen) == len(set(seen)) == 9


def test_ask_when_run_takes_the_runs_value(org, data):
    spec = {
        "base": "partners",
        "columns": ["name"],
        "filter": {
            "items": [
                {"field": "city", "op": "equals", "value": "Budaörs", "ask": True, "param": "city"}
            ]
        },
    }
    manager = fresh(org.supervisor)
    assert names(build(spec, manager)) == ["Pesti Gép Kft."]
    assert names(build(spec, manager, params={"city": "Szeged"})) == ["Szegedi Szerszám Zrt."]


def test_hungarian_numbers_and_dates_are_understood(org, data):
    spec = {
        "base": "partners",
        "columns": ["name"],
        "filter": {
            "items": [
                {"field": "headcount", "op": "empty"},
                {"field": "created_at", "op": "between", "value": ["2000. 01. 01.", "2999-12-31"]},
                {"any": True, "items": [{"field": "city", "op": "starts_with", "value": "Sze"}]},
            ]
        },
    }
    assert names(build(spec, fresh(org.supervisor))) == ["Szegedi Szerszám Zrt."]
    spec["filter"]["items"][0] = {"field": "headcount", "op": "lt", "value": "1 234,5"}
    assert names(build(spec, fresh(org.supervisor))) == []


@pytest.mark.parametrize(
    ("spec", "part", "words"),
    [
        ({"base": "nope"}, "Base", "no such kind"),
        ({"base": "partners", "columns": ["nope"]}, "Column 1", "Unknown field"),
        ({"base": "partners", "columns": ["owners.user"]}, "Column 1", "several records"),
        ({"base": "partners", "columns": ["name__owner__password"]}, "Column 1", "Unknown field"),
        ({"base": "activities", "columns": ["partner.activities.partner.name"]}, "Column 1", ""),
        (
            {"base": "partners", "filter": {"items": [{"field": "city", "op": "gt", "value": 1}]}},
            "Filter 1 (City)",
            "operator",
        ),
        (
            {
                "base": "partners",
                "filter": {"items": [{"field": "headcount", "op": "gt", "value": "sok"}]},
            },
            "Filter 1 (Headcount)",
            "number",
        ),
        (
            {
                "base": "partners",
                "filter": {
                    "items": [{"field": "created_at", "op": "equals", "value": "2026. 13. 45."}]
                },
            },
            "Filter 1 (Created)",
            "date",
        ),
        (
            {
                "base": "partners",
                "filter": {"items": [{"field": "city", "op": "in", "value": ["x"] * 10_000}]},
            },
            "Filter 1 (City)",
            "At most",
        ),
        (
            {
                "base": "partners",
                "filter": {"items": [{"field": "county", "op": "equals", "value": "XX"}]},
            },
            "Filter 1 (County)",
            "not one of the choices",
        ),
        ({"base": "partners", "sort": [{"field": "tags"}]}, "Sort 1", "cannot be sorted"),
        (
            {"base": "partners", "group": {"by": [{"field": "name", "trunc": "week"}]}},
            "Group 1",
            "",
        ),
        (
            {
                "base": "partners",
                "group": {"by": [{"field": "city"}], "measures": [{"fn": "sum", "field": "name"}]},
            },
            "Measure 1",
            "numbers",
        ),
        ({"base": "partners", "columns": "name"}, "Columns", ""),
        ([1, 2], "Query", ""),
    ],
)
def test_a_bad_query_gets_a_message_naming_its_part(org, data, spec, part, words, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"), pytest.raises(QueryError) as raised:
        build(spec, fresh(org.supervisor))
    assert raised.value.part.startswith(part)
    assert words in str(raised.value)


def test_a_field_needing_a_function_is_refused_without_it(org, data):
    spec = {"base": "partners", "columns": ["name", "revenue"]}
    with pytest.raises(QueryError):
        build(spec, fresh(org.owner))
    for where in (
        {"filter": {"items": [{"field": "revenue", "op": "gt", "value": 1}]}},
        {"sort": [{"field": "revenue"}]},
        {"group": {"by": [{"field": "city"}], "measures": [{"fn": "sum", "field": "revenue"}]}},
    ):
        with pytest.raises(QueryError):
            build({"base": "partners", "columns": ["name"], **where}, fresh(org.owner))
    from crm.querybuilder.catalog import catalog

    keys = {f["key"] for f in catalog(fresh(org.owner))["entities"]["partners"]["fields"]}
    assert "name" in keys and "revenue" not in keys
    assert build(spec, fresh(org.superuser)).page().rows


def test_no_query_builder_without_its_function(org, data):
    with pytest.raises(QueryError):
        build({"base": "partners"}, fresh(org.outsider))


def test_audience_ids_are_a_queryset_of_visible_partners(org, data):
    built = build({"base": "activities"}, fresh(org.owner))
    ids = built.ids("partner")
    assert hasattr(ids, "query")
    assert set(ids) == {data["pest"].pk}
    contacts = build({"base": "contacts"}, fresh(org.owner)).ids("contact")
    assert contacts.count() == 2


def test_the_filters_in_words(org, data):
    from django.utils import translation

    with translation.override("en"):
        lines = build(PEST_ACTIVE_WITH_MEETING, fresh(org.supervisor)).describe()
    assert lines[0] == "County is Pest"
    assert lines[2].startswith("has Activities")


def test_same_queries_for_1_and_50_rows(org, data, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.partners.conftest import make_partner

    spec = {"base": "partners", "columns": ["name", "status", "owner", "tags"]}

    def run():
        user = fresh(org.owner)
        with CaptureQueriesContext(connection) as captured:
            build(spec, user).page()
        return len(captured)

    run()  # the worker's caches (reference lists, scope sizes) filled once
    few = run()
    for number in range(50):
        make_partner(org.owner, f"Sok {number} Kft.")
    assert run() == few


def test_a_query_over_the_time_limit_asks_to_narrow_it(org, data, settings):
    from crm.querybuilder import results

    spec = {"base": "partners", "columns": ["name"]}
    built = build(spec, fresh(org.supervisor))
    with pytest.raises(QueryError) as raised, results.time_limit(0.001):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.05)")
    assert "narrow" in str(raised.value) or "szűk" in str(raised.value)
    assert built.page().rows  # the connection is usable afterwards


def test_the_catalog_lists_the_users_colleagues(org, data):
    from crm.querybuilder.catalog import catalog

    users = dict(catalog(fresh(org.owner))["users"])
    assert users[org.owner.pk] == "Tulaj Olga"
    assert org.other_company_user.pk not in users
