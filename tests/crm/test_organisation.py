"""The organisation database: hierarchy, cycles, validators, groups, history, lost updates."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import hierarchy
from crm.groups import DEFAULT_GROUPS
from crm.models import Company, SupervisorLink
from crm.validators import normalise_registration_number, normalise_tax_number
from tests.access import build_org
from tests.factories import MemoFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return build_org(*(f"scoping_app.{a}_memo" for a in ("view", "add", "change", "delete")))


def test_subordinates_at_any_depth_in_one_query_cached_per_user_object(org):
    boss = type(org.boss).objects.get(pk=org.boss.pk)
    with CaptureQueriesContext(connection) as queries:
        first = hierarchy.subordinate_ids(boss)
        second = hierarchy.subordinate_ids(boss)
    assert len(queries) == 1
    assert first == second == {org.supervisor.pk, org.owner.pk, org.peer.pk}


def test_managers_of_a_user_with_two_supervisors(org):
    direct = list(hierarchy.managers_of(org.owner))
    # The deactivated supervisor is no longer anybody's manager.
    assert direct == [org.supervisor, org.second_supervisor]
    all_above = hierarchy.managers_of(org.owner, direct_only=False)
    assert all_above == [org.supervisor, org.second_supervisor, org.boss]


def test_a_cycle_is_refused_with_a_clear_message(org):
    link = SupervisorLink(user=org.boss, supervisor=org.owner)
    with pytest.raises(ValidationError) as error:
        link.full_clean()
    assert "would make a circle" in str(error.value) or "kört hozna létre" in str(error.value)
    assert not SupervisorLink.objects.filter(user=org.boss, supervisor=org.owner).exists()


def test_nobody_supervises_themselves(org):
    with pytest.raises(ValidationError):
        SupervisorLink(user=org.peer, supervisor=org.peer).full_clean()


def test_a_cycle_in_the_admin_is_a_form_error_and_nothing_is_saved(admin_client, org):
    url = reverse("admin:crm_supervisorlink_add")
    response = admin_client.post(url, {"user": org.boss.pk, "supervisor": org.peer.pk})
    assert response.status_code == 200
    assert "kört hozna létre" in response.content.decode()
    assert not SupervisorLink.objects.filter(user=org.boss, supervisor=org.peer).exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10773381244", "10773381-2-44"),
        ("10773381-2-44", "10773381-2-44"),
        (" 12345676 2 41 ", "12345676-2-41"),
    ],
)
def test_tax_numbers_are_normalised(raw, expected):
    assert normalise_tax_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("10773382-2-44", "tax_number_checksum"),
        ("1077338-2-44", "tax_number_format"),
        ("10773381-6-44", "tax_number_format"),
        ("10773381-2-99", "tax_number_county"),
    ],
)
def test_bad_tax_numbers_are_refused(raw, code):
    with pytest.raises(ValidationError) as error:
        normalise_tax_number(raw)
    assert error.value.code == code


def test_registration_numbers():
    assert normalise_registration_number("01 09 123456") == "01-09-123456"
    for bad in ("21-09-123456", "01-99-123456", "01-09-12345"):
        with pytest.raises(ValidationError):
            normalise_registration_number(bad)


def test_a_company_with_a_bad_tax_number_is_refused_in_hungarian(admin_client):
    response = admin_client.post(
        reverse("admin:crm_company_add"),
        {
            "name": "Hibás Kft.",
            "tax_number": "10773382-2-44",
            "registration_number": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "ellenőrző számjegye hibás" in response.content.decode()
    assert not Company.objects.filter(name="Hibás Kft.").exists()


def test_the_default_groups_exist_with_functions():
    for name in DEFAULT_GROUPS.values():
        assert Group.objects.get(name=name).permissions.exists(), name
    finance = Group.objects.get(name=DEFAULT_GROUPS["finance"])
    assert finance.permissions.filter(codename="view_all_company_records").exists()


def test_a_group_without_functions_is_refused(admin_client):
    response = admin_client.post(reverse("admin:auth_group_add"), {"name": "Üres csoport"})
    assert response.status_code == 200
    assert "legalább egy funkcióra" in response.content.decode()
    assert not Group.objects.filter(name="Üres csoport").exists()


def test_the_admin_shows_a_users_effective_functions_and_people(admin_client, org):
    response = admin_client.get(reverse("admin:crm_user_change", args=[org.supervisor.pk]))
    html = response.content.decode()

    def field(name):
        return re.search(
            rf'field-{name}.*?<div class="readonly">(.*?)</div>\s*</div>', html, re.S
        ).group(1)

    functions = field("effective_functions")
    assert "crm.export_data" in functions and "scoping_app.view_memo" in functions
    assert "crm.view_all_company_records" not in functions
    people = field("people_in_scope")
    assert "Tulaj Olga" in people and "Társ Péter" in people and "Fő Ferenc" in people
    assert "Igazgató Ildikó" not in people


def test_the_admin_works_in_english(admin_client):
    admin_client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Own companies" in html and "Supervisors" in html


def test_history_shows_who_changed_what(client, org):
    memo = MemoFactory(owner=org.owner, title="Régi cím")
    client.force_login(org.owner)
    client.post(
        reverse("memo-edit", args=[memo.pk]),
        {"title": "Új cím", "body": memo.body, "base_version": memo.version},
    )
    html = client.get(reverse("record_history", args=["scoping_app.Memo", memo.pk])).content
    html = html.decode()
    assert "Tulaj Olga" in html
    assert "Régi cím" in html and "Új cím" in html


def test_organisation_history_is_for_staff_with_the_view_function(client, org):
    url = reverse("record_history", args=["crm.User", org.owner.pk])
    client.force_login(org.supervisor)
    assert client.get(url).status_code == 404
    client.force_login(org.superuser)
    org.owner.first_name = "Olívia"
    org.owner.save()
    html = client.get(url).content.decode()
    assert "Olga" in html and "Olívia" in html


def test_a_stale_form_shows_a_conflict_and_keeps_what_the_user_typed(client, org):
    memo = MemoFactory(owner=org.owner, title="Eredeti")
    url = reverse("memo-edit", args=[memo.pk])
    loaded_version = memo.version

    client.force_login(org.supervisor)
    response = client.post(
        url, {"title": "A főnök változata", "body": memo.body, "base_version": loaded_version}
    )
    assert response.status_code == 302

    client.force_login(org.owner)
    response = client.post(
        url, {"title": "Olga változata", "body": memo.body, "base_version": loaded_version}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Fő Ferenc mentette ezt a rekordot" in html
    assert "title" in html  # the field that changed is named
    assert 'value="Olga változata"' in html
    memo.refresh_from_db()
    assert memo.title == "A főnök változata"

    # Saving again, now against the version she has seen, overwrites on purpose.
    response = client.post(
        url, {"title": "Olga változata", "body": memo.body, "base_version": memo.version}
    )
    assert response.status_code == 302
    memo.refresh_from_db()
    assert memo.title == "Olga változata"


def test_changing_a_supervisor_link_is_recorded(org):
    link = SupervisorLink.objects.get(user=org.peer, supervisor=org.supervisor)
    link_pk = link.pk
    link.delete()
    from django.apps import apps

    events = apps.get_model("crm", "SupervisorLinkEvent").objects
    assert events.filter(pgh_obj_id=link_pk, pgh_label="delete").exists()


def test_new_users_get_no_company_silently(client):
    user = UserFactory()
    client.force_login(user)
    assert "Nincs cég" in client.get("/").content.decode()


def test_the_system_check_catches_a_scoped_model_without_history_or_triggers():
    from django.db import models

    from crm.checks import scoped_models_are_complete
    from crm.scoping import ScopedModel

    class Careless(ScopedModel):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "scoping_app"

    try:
        ids = {e.id for e in scoped_models_are_complete() if e.obj is Careless}
        assert ids == {"crm.E001", "crm.E002"}
    finally:
        from django.apps import apps

        del apps.all_models["scoping_app"]["careless"]
        apps.clear_cache()


def test_the_admin_names_functions_in_the_admins_language(admin_client):
    """Django stores permission names once, in English; the group and activity-type admin
    pages name them in the admin's language (found English in the Hungarian admin by a user
    audit)."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Próba")
    group.permissions.add(Permission.objects.get(codename="use_collection_types"))
    page = admin_client.get(reverse("admin:auth_group_change", args=[group.pk])).content.decode()
    assert "Behajtási tevékenységtípusok használata" in page
    assert "partner hozzáadása" in page and "Can add partner" not in page
    page = admin_client.get(reverse("admin:activities_activitytype_add")).content.decode()
    assert "Behajtási tevékenységtípusok használata" in page
    assert "Use collection activity types" not in page
    from django.conf import settings

    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = admin_client.get(reverse("admin:auth_group_change", args=[group.pk])).content
    assert "Can add partner" in english.decode()
    assert "Use collection activity types" in english.decode()
