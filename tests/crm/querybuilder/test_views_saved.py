"""The builder, run and print pages on saved queries (crm/querybuilder/views.py): a saved query
opens only for those who see it, asks its parameters when run, and each runner sees their own
rows. Skipped until the saved queries (the SAVED helper's models) are there."""

import json

import pytest
from django.urls import reverse

SavedQuery = pytest.importorskip("crm.querybuilder.models").SavedQuery

from partners.models import Partner  # noqa: E402
from partners.services import partner_create  # noqa: E402
from tests.access import build_org  # noqa: E402

from .saved_fixtures import ensure_querybuilder_defaults  # noqa: E402

ASKED = {
    "base": "partners",
    "columns": ["name", "city"],
    "filter": {
        "any": False,
        "items": [
            {"field": "city", "op": "equals", "value": "Szeged", "ask": True, "param": "city"}
        ],
    },
    "sort": [{"field": "name", "desc": False}],
}


@pytest.fixture
def org(db):
    ensure_querybuilder_defaults()
    return build_org()


def make_partner(owner, name, city):
    return partner_create(user=owner, partner=Partner(name=name, city=city))


def make_query(owner, spec=ASKED, name="Városi partnerek", shared_with=()):
    query = SavedQuery.objects.create(
        name=name,
        description="A város futtatáskor kérdezve",
        spec=spec,
        owner=owner,
        company_id=owner.current_company_id,
        created_by=owner,
    )
    if shared_with:
        query.shared_with_users.add(*shared_with)
    return query


@pytest.fixture
def partners(org):
    make_partner(org.owner, "Szegedi Tulaj Kft.", "Szeged")
    make_partner(org.owner, "Budaörsi Tulaj Kft.", "Budaörs")
    make_partner(org.peer, "Szegedi Társ Bt.", "Szeged")


def test_the_builder_opens_a_saved_query_only_for_those_who_see_it(client, org):
    query = make_query(org.supervisor, shared_with=[org.owner])
    url = reverse("querybuilder:builder") + f"?q={query.pk}"
    for persona in ("supervisor", "owner"):
        client.force_login(org.users[persona])
        response = client.get(url)
        assert response.status_code == 200, persona
        html = response.content.decode()
        assert "Városi partnerek" in html
        spec = json.loads(html.split('id="qb-spec" type="application/json">', 1)[1].split("<")[0])
        assert spec == ASKED
    # the owner of the query may save changes; the rep it is shared with only save a copy
    client.force_login(org.supervisor)
    assert 'data-testid="qb-save"' in client.get(url).content.decode()
    client.force_login(org.owner)
    html = client.get(url).content.decode()
    assert 'data-testid="qb-save"' not in html
    # not shared with the peer, another company's manager or the outsider: "no such query"
    for persona, status in (("peer", 404), ("other_company_user", 404), ("outsider", 403)):
        client.force_login(org.users[persona])
        assert client.get(url).status_code == status, persona
    client.force_login(org.supervisor)
    assert client.get(reverse("querybuilder:builder") + "?q=999999").status_code == 404
    assert client.get(reverse("querybuilder:builder") + "?q=x").status_code == 404


def test_a_run_asks_the_parameters_and_shows_each_runner_their_own_rows(client, org, partners):
    query = make_query(org.supervisor, shared_with=[org.owner, org.peer])
    url = reverse("querybuilder:run")
    client.force_login(org.owner)
    response = client.get(url, {"q": query.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="p_city"' in html and 'value="Szeged"' in html  # the saved value offered
    assert "Szegedi Tulaj Kft." in html
    assert "Szegedi Társ Bt." not in html and "Budaörsi Tulaj Kft." not in html
    html = client.get(url, {"q": query.pk, "p_city": "Budaörs"}).content.decode()
    assert "Budaörsi Tulaj Kft." in html and "Szegedi Tulaj Kft." not in html
    client.force_login(org.peer)
    html = client.get(url, {"q": query.pk}).content.decode()
    assert "Szegedi Társ Bt." in html and "Szegedi Tulaj Kft." not in html
    # the query's owner, their manager, sees both reps' Szeged partners
    client.force_login(org.supervisor)
    html = client.get(url, {"q": query.pk}).content.decode()
    assert "Szegedi Társ Bt." in html and "Szegedi Tulaj Kft." in html
    for persona, status in (("other_company_user", 404), ("outsider", 403)):
        client.force_login(org.users[persona])
        assert client.get(url, {"q": query.pk}).status_code == status, persona


def test_a_bad_parameter_is_named_not_a_500(client, org, partners):
    spec = dict(ASKED)
    spec["filter"] = {
        "items": [
            {
                "field": "created_at",
                "op": "after",
                "value": "2020. 01. 01.",
                "ask": True,
                "param": "from",
            }
        ]
    }
    query = make_query(org.supervisor, spec=spec)
    client.force_login(org.supervisor)
    response = client.get(reverse("querybuilder:run"), {"q": query.pk, "p_from": "2020. 13. 45."})
    assert response.status_code == 200
    assert 'data-testid="qb-problem"' in response.content.decode()


def test_the_print_view_of_a_saved_query_has_its_title_and_asked_value(client, org, partners):
    query = make_query(org.supervisor)
    client.force_login(org.supervisor)
    response = client.get(reverse("querybuilder:print"), {"q": query.pk, "p_city": "Budaörs"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="qb-print-title">Városi partnerek<' in html
    assert "A város futtatáskor kérdezve" in html
    assert "Budaörsi Tulaj Kft." in html and "Szegedi Tulaj Kft." not in html
    filters = html.split('data-testid="qb-print-filters">', 1)[1].split("</ul>", 1)[0]
    assert "Budaörs" in filters
    client.force_login(org.other_company_user)
    assert client.get(reverse("querybuilder:print"), {"q": query.pk}).status_code == 404


def test_the_builder_saves_through_the_saved_queries_pages(client, org):
    """What the builder's save panel posts (its form: spec, name, description, id, version)
    is what the saved queries' pages take; a stale save is refused into its error box with
    the newer version swapped into the panel's version input."""
    query = make_query(org.supervisor)
    client.force_login(org.supervisor)
    html = client.get(reverse("querybuilder:builder"), {"q": query.pk}).content.decode()
    for needle in (
        'id="saved-errors"',
        f'name="id" value="{query.pk}"',
        f'name="version" id="saved-version" value="{query.version}"',
        'name="name"',
        'name="description"',
        'name="spec"',
        f'hx-post="{reverse("querybuilder:saved_update")}"',
        f'hx-post="{reverse("querybuilder:saved_create")}"',
    ):
        assert needle in html, needle
    changed = dict(ASKED, columns=["name"])
    form = {
        "spec": json.dumps(changed),
        "name": "Átnevezett",
        "description": "",
        "id": query.pk,
        "version": query.version,
    }
    response = client.post(reverse("querybuilder:saved_update"), form, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and f"?q={query.pk}" in response["HX-Redirect"]
    query.refresh_from_db()
    assert query.name == "Átnevezett" and query.spec["columns"] == ["name"]
    # the same page saving again with the version it was loaded with: refused, not lost
    response = client.post(reverse("querybuilder:saved_update"), form, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response["HX-Retarget"] == "#saved-errors"
    assert 'id="saved-version"' in html and f'value="{query.version}"' in html
    # Save as: a new query of the user's, the builder opened on it
    form = {"spec": json.dumps(ASKED), "name": "Másolat", "description": "x"}
    response = client.post(reverse("querybuilder:saved_create"), form, HTTP_HX_REQUEST="true")
    new = SavedQuery.objects.get(name="Másolat")
    assert new.owner == org.supervisor and response["HX-Redirect"].endswith(f"?q={new.pk}")


def test_every_shipped_query_opens_runs_and_prints(client, org, partners):
    """The built-in queries (the reports a sales manager expects) through every page here."""
    from crm.querybuilder.builtins import ensure_builtins

    ensure_builtins()
    shipped = list(SavedQuery.objects.exclude(builtin=""))
    assert len(shipped) >= 5
    client.force_login(org.supervisor)
    for query in shipped:
        assert client.get(reverse("querybuilder:builder"), {"q": query.pk}).status_code == 200
        preview = client.post(
            reverse("querybuilder:preview"),
            {"spec": json.dumps(query.spec)},
            HTTP_HX_REQUEST="true",
        )
        assert 'data-testid="qb-problem"' not in preview.content.decode(), query.builtin
        run = client.get(reverse("querybuilder:run"), {"q": query.pk})
        assert 'data-testid="qb-problem"' not in run.content.decode(), query.builtin
        printed = client.get(reverse("querybuilder:print"), {"q": query.pk})
        assert 'data-testid="qb-problem"' not in printed.content.decode(), query.builtin
        if query.spec.get("group", {}).get("by"):
            assert (
                'data-testid="qb-chart"' in preview.content.decode() or not preview.context["rows"]
            )


def test_the_run_pages_export_sends_the_query_and_the_values_asked(client, org, partners):
    """The run page's Excel / CSV buttons post the saved query's id and the values asked to
    the exports (skipped until they are merged)."""
    pytest.importorskip("crm.querybuilder.export_views")
    query = make_query(org.supervisor, shared_with=[org.owner])
    client.force_login(org.owner)  # a rep may run it but not export (crm.export_data)
    html = client.get(reverse("querybuilder:run"), {"q": query.pk}).content.decode()
    assert 'data-testid="qb-export"' not in html
    client.force_login(org.supervisor)
    html = client.get(reverse("querybuilder:run"), {"q": query.pk, "p_city": "Budaörs"})
    html = html.content.decode()
    form = html.split('data-testid="qb-export"', 1)[1].split("</form>", 1)[0]
    assert f'name="query" value="{query.pk}"' in form
    params = form.split('name="params" value="', 1)[1].split('"', 1)[0]
    assert json.loads(params.replace("&quot;", '"')) == {"city": "Budaörs"}
    response = client.post(
        reverse("querybuilder:export"),
        {"query": query.pk, "params": json.dumps({"city": "Budaörs"}), "format": "csv"},
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    assert "Budaörsi Tulaj Kft." in text and "Szegedi" not in text
