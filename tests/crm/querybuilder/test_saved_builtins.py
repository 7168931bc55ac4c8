"""The shipped saved queries: each builds and runs for a sales manager, everyone with the
function sees them, loading them twice changes nothing, and the demo brings them."""

import pytest
from django.utils import translation

from crm.querybuilder.builtins import BUILTINS, ensure_builtins, load_demo
from crm.querybuilder.engine import build
from crm.querybuilder.models import SavedQuery

from .conftest import fresh
from .saved_fixtures import ensure_querybuilder_defaults

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(db):
    ensure_querybuilder_defaults()
    SavedQuery.objects.exclude(builtin="").delete()
    assert ensure_builtins() == len(BUILTINS)
    return list(SavedQuery.objects.exclude(builtin=""))


def test_the_shipped_set_is_the_issues(shipped):
    assert {q.builtin for q in shipped} == {
        "partners-by-status-and-owner",
        "activities-per-rep-per-week",
        "partners-without-next-event",
        "open-tasks-by-assignee",
        "observations-by-product",
    }
    assert all(q.owner_id is None and q.company_id is None for q in shipped)


@pytest.mark.parametrize("key", [b.key for b in BUILTINS])
def test_every_builtin_builds_and_runs_for_a_sales_manager(org, data, shipped, key):
    query = SavedQuery.objects.get(builtin=key)
    manager = fresh(org.supervisor)
    assert SavedQuery.objects.visible_to(manager).filter(pk=query.pk).exists()
    built = build(query.spec, manager)
    rows = list(built.queryset)
    built.prepare(rows)
    for row in rows:
        built.display_row(row)
    built.describe()
    if built.grouped:
        assert built.chart() is not None


def test_the_builtins_count_the_managers_rows(org, data, shipped):
    manager = fresh(org.supervisor)
    by_status = build(SavedQuery.objects.get(builtin="partners-by-status-and-owner").spec, manager)
    assert sum(row[-1] for row in by_status.queryset) == 3  # the team's three partners
    weekly = build(SavedQuery.objects.get(builtin="activities-per-rep-per-week").spec, manager)
    assert sum(row[-1] for row in weekly.queryset) == 2  # the owner's and the peer's meeting


def test_a_rep_sees_the_builtins_with_their_own_rows(org, data, shipped):
    rep = fresh(org.owner)
    assert SavedQuery.objects.visible_to(rep).filter(builtin__gt="").count() == len(BUILTINS)
    query = SavedQuery.objects.get(builtin="partners-by-status-and-owner")
    assert sum(row[-1] for row in build(query.spec, rep).queryset) == 2


def test_ensuring_twice_changes_nothing_and_keeps_an_admins_change(shipped):
    SavedQuery.objects.filter(builtin="open-tasks-by-assignee").update(name="Feladatok")
    assert ensure_builtins() == 0
    assert SavedQuery.objects.get(builtin="open-tasks-by-assignee").name == "Feladatok"
    assert ensure_builtins(refresh=True) == 1
    with translation.override("hu"):
        assert SavedQuery.objects.get(builtin="open-tasks-by-assignee").name == str(
            next(b.name for b in BUILTINS if b.key == "open-tasks-by-assignee")
        )


def test_the_list_shows_a_builtins_name_in_the_readers_language(client, org, shipped):
    from django.urls import reverse

    client.force_login(org.owner)
    english = client.get(reverse("querybuilder:saved"), HTTP_ACCEPT_LANGUAGE="en").content
    hungarian = client.get(reverse("querybuilder:saved"), HTTP_ACCEPT_LANGUAGE="hu").content
    assert "Open tasks by assignee" in english.decode()
    assert "Nyitott feladatok felelős szerint" in hungarian.decode()


def test_the_demo_loads_the_builtins_and_a_shared_query_twice_the_same(shipped, client):
    from crm.demo import load_organisation

    load_organisation()
    load_demo()
    load_demo()
    demo = SavedQuery.objects.filter(builtin="", owner__username="nagy.peter")
    assert demo.count() == 1
    query = demo.get()
    assert query.shared_with_groups.exists()
    assert query.schedules.get().recipients.count() == 3
    assert query.schedules.get().params == {"idoszak": "last_30_days"}
    owner = fresh(query.owner)
    build(query.spec, owner, params=query.schedules.get().params)  # its own period builds
    from django.urls import reverse

    client.force_login(owner)
    edit = reverse("querybuilder:saved_schedule_edit", args=[query.schedules.get().pk])
    page = client.get(edit).content.decode()
    assert 'name="p_idoszak"' in page and 'value="last_30_days" selected' in page
    rep = fresh(type(query.owner).objects.get(username="kovacs.anna"))
    assert SavedQuery.objects.visible_to(rep).filter(pk=query.pk).exists()
    build(query.spec, fresh(query.owner))  # the demo's query builds
