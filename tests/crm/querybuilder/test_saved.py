"""Saved queries: who sees which (own, shared with a user or a group, built-in, another
company's), copy, share and delete by the owner only, and every page's outsider test."""

import json

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.groups import DEFAULT_GROUPS
from crm.querybuilder.models import SavedQuery
from crm.querybuilder.saved_views import builder_url
from tests.access import build_org, check_access

from .saved_fixtures import ensure_querybuilder_defaults

pytestmark = pytest.mark.django_db

SPEC = {"base": "partners", "columns": ["name"], "filter": {"any": False, "items": []}}


@pytest.fixture(autouse=True)
def _no_shipped_queries(db):
    """These tests make their own built-in query; the shipped set is tested on its own."""
    SavedQuery.objects.exclude(builtin="").delete()


@pytest.fixture
def org():
    ensure_querybuilder_defaults()
    return build_org()


def make_query(owner, name="Pest megyei aktív partnerek", **kwargs):
    query = SavedQuery.objects.create(
        name=name,
        description=kwargs.pop("description", "Tulajdonos szerint"),
        spec=kwargs.pop("spec", SPEC),
        owner=owner,
        company_id=kwargs.pop("company_id", owner.current_company_id),
        created_by=owner,
        **kwargs,
    )
    return query


def group(key: str) -> Group:
    return Group.objects.get(name=DEFAULT_GROUPS[key])


@pytest.fixture
def shared(org):
    """A sales manager's (the supervisor's) query, shared with the sales rep group."""
    query = make_query(org.supervisor)
    query.shared_with_groups.add(group("sales_rep"))
    return query


@pytest.fixture
def private(org):
    return make_query(org.supervisor, name="Saját jegyzet", description="")


@pytest.fixture
def builtin():
    return SavedQuery.objects.create(
        name="Partnerek állapot és felelős szerint", spec=SPEC, builtin="partners-by-status"
    )


def visible_names(user) -> set[str]:
    return set(SavedQuery.objects.visible_to(user).values_list("name", flat=True))


# --- who sees what ------------------------------------------------------------------------


def test_a_query_shared_with_a_group_reaches_its_members_of_the_same_company_only(
    org, shared, private, builtin
):
    everything = {shared.name, private.name, builtin.name}
    assert visible_names(org.supervisor) == everything
    # reps of the company, through their group
    assert visible_names(org.owner) == {shared.name, builtin.name}
    assert visible_names(org.peer) == {shared.name, builtin.name}
    # another sales manager: not in the group it is shared with
    assert visible_names(org.boss) == {builtin.name}
    # a sales manager of the other own company: the built-in ones only
    assert visible_names(org.other_company_user) == {builtin.name}
    assert visible_names(org.outsider) == set()
    assert visible_names(org.deactivated) == set()
    assert visible_names(org.superuser) == everything


def test_a_query_shared_with_one_user(org, private):
    private.shared_with_users.add(org.boss)
    assert private.name in visible_names(org.boss)
    assert private.name not in visible_names(org.second_supervisor)


def test_a_shared_user_in_another_company_does_not_see_it_there(org, private):
    """Shared with a member who now works in the other company: not there, back when back."""
    from crm.models import Membership

    Membership.objects.create(user=org.boss, company=org.other_company)
    private.shared_with_users.add(org.boss)
    org.boss.current_company = org.other_company
    org.boss.save(update_fields=["current_company"])
    boss = type(org.boss).objects.get(pk=org.boss.pk)
    assert private.name not in visible_names(boss)


def test_only_the_owner_may_change_or_delete(org, shared):
    for persona in ("owner", "peer", "boss", "other_company_user", "outsider"):
        user = org.users[persona]
        assert not SavedQuery.objects.editable_by(user).filter(pk=shared.pk).exists(), persona
        assert not SavedQuery.objects.deletable_by(user).filter(pk=shared.pk).exists(), persona
    assert SavedQuery.objects.editable_by(org.supervisor).filter(pk=shared.pk).exists()
    assert SavedQuery.objects.deletable_by(org.superuser).filter(pk=shared.pk).exists()


# --- the list page ------------------------------------------------------------------------


def test_the_list_shows_mine_shared_and_builtin_with_badges(client, org, shared, builtin):
    client.force_login(org.owner)
    html = client.get(reverse("querybuilder:saved"), HTTP_ACCEPT_LANGUAGE="hu").content.decode()
    assert shared.name in html and builtin.name in html
    assert "Tulajdonos szerint" in html  # the description
    assert str(org.supervisor) in html  # the owner
    assert 'data-testid="builtin-badge"' in html
    assert 'data-testid="shared-badge"' in html
    # a rep may neither copy (no function to save queries) nor share or delete another's
    assert 'data-testid="copy"' not in html
    assert 'data-testid="delete"' not in html and 'data-testid="share"' not in html


def test_the_owner_sees_share_and_delete(client, org, shared):
    client.force_login(org.supervisor)
    html = client.get(reverse("querybuilder:saved")).content.decode()
    assert reverse("querybuilder:saved_share", args=[shared.pk]) in html
    assert reverse("querybuilder:saved_delete", args=[shared.pk]) in html
    assert 'data-testid="copy"' in html


def test_search_by_name(client, org, shared, private):
    client.force_login(org.supervisor)
    html = client.get(reverse("querybuilder:saved"), {"q": "jegyz"}).content.decode()
    assert private.name in html and shared.name not in html
    fragment = client.get(reverse("querybuilder:saved"), {"q": "pest"}, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert shared.name in text and private.name not in text
    assert "<html" not in text  # only the rows


def test_the_list_costs_the_same_queries_for_1_and_50_rows(client, org):
    client.force_login(org.owner)
    rep_group = group("sales_rep")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("querybuilder:saved")).status_code == 200
        return len(queries)

    make_query(org.supervisor, name="Első").shared_with_groups.add(rep_group)
    count()  # warms the per-user caches of the page shell
    one = count()
    for n in range(49):
        make_query(org.supervisor, name=f"Lekérdezés {n:02}").shared_with_groups.add(rep_group)
    count()
    assert count() == one


def test_list_access(client, org, shared):
    check_access(
        client,
        org,
        reverse("querybuilder:saved"),
        allowed={
            "owner",
            "peer",
            "supervisor",
            "second_supervisor",
            "boss",
            "other_company_user",
            "superuser",
        },
        denied_status=(403,),
    )


# --- copy ---------------------------------------------------------------------------------


def test_copy_makes_the_users_own_private_query(client, org, shared):
    shared.shared_with_users.add(org.boss)
    client.force_login(org.boss)
    response = client.post(
        reverse("querybuilder:saved_copy", args=[shared.pk]), HTTP_ACCEPT_LANGUAGE="hu"
    )
    assert response.status_code == 302
    copy = SavedQuery.objects.exclude(pk=shared.pk).get()
    assert copy.name == f"{shared.name} (másolat)"
    assert (copy.owner, copy.company, copy.spec) == (org.boss, org.company, shared.spec)
    assert not copy.shared_with_groups.exists() and not copy.shared_with_users.exists()
    assert response["Location"] == builder_url(copy.pk)
    # the copy is the boss's, not shared with the reps
    assert copy.name not in visible_names(org.owner)


def test_copy_of_a_builtin_in_english(client, org, builtin):
    client.force_login(org.boss)
    client.post(reverse("querybuilder:saved_copy", args=[builtin.pk]), HTTP_ACCEPT_LANGUAGE="en")
    copy = SavedQuery.objects.get(owner=org.boss)
    assert copy.name == f"{builtin.name} (copy)" and copy.builtin == ""


def test_copy_access(client, org, shared):
    """Those who see it and may save queries copy it; a rep has no function to; others 404."""
    shared.shared_with_users.add(org.boss)
    check_access(
        client,
        org,
        reverse("querybuilder:saved_copy", args=[shared.pk]),
        method="post",
        allowed={"supervisor", "boss", "superuser"},
        denied_status=(403, 404),
    )


def test_copy_of_a_forged_id_is_404(client, org, shared):
    client.force_login(org.boss)
    assert client.post(reverse("querybuilder:saved_copy", args=[shared.pk])).status_code == 404
    assert client.post(reverse("querybuilder:saved_copy", args=[999_999])).status_code == 404
    assert SavedQuery.objects.count() == 1


# --- share ----------------------------------------------------------------------------------


def test_the_owner_shares_with_users_and_groups(client, org, private):
    client.force_login(org.supervisor)
    page = client.get(reverse("querybuilder:saved_share", args=[private.pk])).content.decode()
    assert str(org.owner) in page and str(org.boss) in page
    assert str(org.other_company_user) not in page  # not a colleague of this company
    response = client.post(
        reverse("querybuilder:saved_share", args=[private.pk]),
        {"users": [org.boss.pk], "groups": [group("sales_rep").pk]},
    )
    assert response.status_code == 302
    assert private.name in visible_names(org.boss)
    assert private.name in visible_names(org.owner)
    # unsharing
    client.post(reverse("querybuilder:saved_share", args=[private.pk]), {})
    assert private.name not in visible_names(org.boss)
    assert private.name not in visible_names(org.owner)


def test_sharing_with_someone_of_another_company_is_refused(client, org, private):
    client.force_login(org.supervisor)
    response = client.post(
        reverse("querybuilder:saved_share", args=[private.pk]),
        {"users": [org.other_company_user.pk]},
    )
    assert response.status_code == 200  # the form again
    assert not private.shared_with_users.exists()


def test_share_access_owner_only(client, org, shared):
    check_access(
        client,
        org,
        reverse("querybuilder:saved_share", args=[shared.pk]),
        allowed={"supervisor", "superuser"},
        denied_status=(403, 404),
    )
    check_access(
        client,
        org,
        reverse("querybuilder:saved_share", args=[shared.pk]),
        method="post",
        data={"users": [org.peer.pk]},
        allowed={"supervisor", "superuser"},
        denied_status=(403, 404),
    )


def test_a_rep_who_sees_the_query_gets_403_a_stranger_404(client, org, shared):
    url = reverse("querybuilder:saved_share", args=[shared.pk])
    client.force_login(org.owner)
    assert client.get(url).status_code == 403
    client.force_login(org.other_company_user)
    assert client.get(url).status_code == 404


# --- delete ---------------------------------------------------------------------------------


def test_delete_asks_then_deletes(client, org, shared):
    client.force_login(org.supervisor)
    url = reverse("querybuilder:saved_delete", args=[shared.pk])
    page = client.get(url).content.decode()
    assert shared.name in page and 'data-testid="delete-form"' in page
    assert SavedQuery.objects.filter(pk=shared.pk).exists()
    assert client.post(url).status_code == 302
    assert not SavedQuery.objects.filter(pk=shared.pk).exists()


def test_delete_access(client, org):
    def fresh():
        query = make_query(org.supervisor)
        query.shared_with_groups.add(group("sales_rep"))
        return reverse("querybuilder:saved_delete", args=[query.pk]), query

    outcome = check_access(
        client,
        org,
        fresh,
        method="post",
        allowed={"supervisor", "superuser"},
        denied_status=(403, 404),
    )
    assert outcome["owner"] == 403  # sees it (shared), not theirs
    assert outcome["other_company_user"] == 404
    assert SavedQuery.objects.filter(owner=org.supervisor).count() == len(outcome) - 2


# --- save endpoints without the engine --------------------------------------------------------


def test_a_failed_update_keeps_the_saved_query(client, org, shared):
    client.force_login(org.supervisor)
    before = SavedQuery.objects.values().get(pk=shared.pk)
    response = client.post(
        reverse("querybuilder:saved_update"),
        {
            "id": shared.pk,
            "version": shared.version,
            "name": "Átnevezve",
            "description": "",
            "spec": "{not json",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "not valid JSON" in response.content.decode()
    assert "The saved query has not changed." in response.content.decode()
    assert SavedQuery.objects.values().get(pk=shared.pk) == before


def test_a_failed_update_through_htmx_retargets_the_error_box(client, org, shared):
    client.force_login(org.supervisor)
    response = client.post(
        reverse("querybuilder:saved_update"),
        {"id": shared.pk, "version": shared.version, "name": " ", "spec": json.dumps(SPEC)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200  # HTMX swaps only 2xx answers
    assert response["HX-Retarget"] == "#saved-errors"
    assert response["HX-Trigger"] == "querybuilder-save-failed"
    assert 'data-testid="save-errors"' in response.content.decode()
    assert SavedQuery.objects.get(pk=shared.pk).name == shared.name


def test_update_access_and_forged_ids(client, org, shared):
    data = {"id": shared.pk, "version": 1, "name": "X", "spec": "{}"}
    check_access(
        client,
        org,
        reverse("querybuilder:saved_update"),
        method="post",
        data=data,
        allowed={"supervisor", "superuser"},
        denied_status=(403, 404),
        row=shared,
    )
    client.force_login(org.supervisor)
    for forged in ("999999", "abc", ""):
        response = client.post(reverse("querybuilder:saved_update"), {**data, "id": forged})
        assert response.status_code == 404, forged


def test_create_needs_the_function(client, org):
    check_access(
        client,
        org,
        reverse("querybuilder:saved_create"),
        allowed={"supervisor", "second_supervisor", "boss", "other_company_user", "superuser"},
        denied_status=(403,),
    )


def test_a_stale_save_through_htmx_hands_the_builder_the_newer_version(client, org, shared):
    """The builder's hidden version field (#saved-version) is swapped out of band, so saving
    again overwrites on purpose."""
    from crm.versioning import save_versioned

    shared.name = "Közben átnevezve"
    save_versioned(shared, expected_version=1, fields=["name"])
    client.force_login(org.supervisor)
    response = client.post(
        reverse("querybuilder:saved_update"),
        {"id": shared.pk, "version": 1, "name": "Régi lapról", "spec": "{bad"},
        HTTP_HX_REQUEST="true",
    )
    # a bad spec is refused before the version is looked at; a good one meets the conflict
    assert 'id="saved-version"' not in response.content.decode()
    response = client.post(
        reverse("querybuilder:saved_update"),
        {"id": shared.pk, "version": 1, "name": "Régi lapról", "spec": json.dumps(SPEC)},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'id="saved-version" value="2" hx-swap-oob="true"' in html
    assert SavedQuery.objects.get(pk=shared.pk).name == "Közben átnevezve"


def test_the_data_migration_gave_the_groups_their_functions():
    """As migrated (querybuilder/0002): reps see shared queries and run the builder; managers,
    marketing and finance keep their own; schedules are for managers and administrators."""
    from crm.messaging.models import MessageTemplate

    def perms(key: str) -> set[str]:
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group(key).permissions.select_related("content_type")
        }

    rep, manager, marketing = perms("sales_rep"), perms("sales_manager"), perms("marketing")
    assert {"querybuilder.view_savedquery", "crm.run_query_builder"} <= rep
    assert "querybuilder.add_savedquery" not in rep
    assert {"querybuilder.add_savedquery", "querybuilder.add_scheduledreport"} <= manager
    assert {"querybuilder.add_savedquery", "crm.run_query_builder"} <= marketing
    assert "querybuilder.add_scheduledreport" not in marketing
    assert set(
        MessageTemplate.objects.filter(key="querybuilder-scheduled-report").values_list(
            "language", flat=True
        )
    ) == {"hu", "en"}
