"""The persona matrix on the sample scoped model (tests/scoping_app): list, detail, edit,
delete, history; plus the rules of scoping one by one."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from crm.scoping import get_editable_or_403
from tests.access import build_org, check_access
from tests.factories import MemoFactory, UserFactory
from tests.scoping_app.models import Memo

pytestmark = pytest.mark.django_db

MEMO_PERMS = [f"scoping_app.{a}_memo" for a in ("view", "add", "change", "delete")]
SEE = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


@pytest.fixture
def org():
    return build_org(*MEMO_PERMS)


@pytest.fixture
def memo(org):
    return MemoFactory(owner=org.owner, title="Árajánlat egyeztetés")


def test_detail_matrix(client, org, memo):
    check_access(client, org, reverse("memo-detail", args=[memo.pk]), allowed=SEE)


def test_list_matrix_shows_the_memo_only_to_those_who_may_see_it(client, org, memo):
    for persona, user in org.users.items():
        if persona == "deactivated":
            continue
        client.force_login(user)
        html = client.get(reverse("memo-list")).content.decode()
        assert ("Árajánlat egyeztetés" in html) == (persona in SEE), persona


def test_edit_matrix_and_refused_writes_change_nothing(client, org, memo):
    check_access(
        client,
        org,
        reverse("memo-edit", args=[memo.pk]),
        method="post",
        data={"title": "Átírva", "body": "", "base_version": ""},
        allowed=SEE,
        row=memo,
    )


def test_delete_matrix(client, org):
    def fresh():
        memo = MemoFactory(owner=org.owner)
        return reverse("memo-delete", args=[memo.pk]), memo

    check_access(client, org, fresh, method="post", allowed=SEE)


def test_history_matrix(client, org, memo):
    check_access(
        client, org, reverse("record_history", args=["scoping_app.Memo", memo.pk]), allowed=SEE
    )


def test_two_supervisors_and_the_boss_see_the_record_peer_and_other_company_get_404(
    client, org, memo
):
    url = reverse("memo-detail", args=[memo.pk])
    for persona in ("supervisor", "second_supervisor", "boss"):
        client.force_login(org.users[persona])
        assert client.get(url).status_code == 200, persona
    for persona in ("peer", "other_company_user", "outsider"):
        client.force_login(org.users[persona])
        assert client.get(url).status_code == 404, persona


def test_missing_and_invisible_records_look_the_same(client, org, memo):
    client.force_login(org.peer)
    invisible = client.get(reverse("memo-detail", args=[memo.pk]))
    missing = client.get(reverse("memo-detail", args=[memo.pk + 1000]))
    assert invisible.status_code == missing.status_code == 404

    def page(response):  # the main part: the top bar has the path and a fresh CSRF token
        return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)

    assert page(invisible) == page(missing)


def test_visible_but_not_editable_is_403(client, org, memo):
    assign_perm("scoping_app.view_memo", org.peer, memo)  # shared for reading only
    client.force_login(org.peer)
    assert client.get(reverse("memo-detail", args=[memo.pk])).status_code == 200
    assert client.get(reverse("memo-edit", args=[memo.pk])).status_code == 403


def test_an_explicit_grant_to_a_group_shares_the_record(org, memo):
    from django.contrib.auth.models import Group

    team = Group.objects.create(name="Projekt csapat")
    team.permissions.add(Permission.objects.get(codename="view_company"))
    org.peer.groups.add(team)
    assert not Memo.objects.visible_to(org.peer).filter(pk=memo.pk).exists()
    assign_perm("scoping_app.change_memo", team, memo)
    assign_perm("scoping_app.view_memo", team, memo)
    peer = type(org.peer).objects.get(pk=org.peer.pk)
    assert Memo.objects.visible_to(peer).filter(pk=memo.pk).exists()
    assert get_editable_or_403(Memo, peer, pk=memo.pk) == memo


def test_see_all_in_company_function(org, memo):
    finance = UserFactory(username="penzugy")
    from tests.access import member

    member(finance, org.company, "finance")
    # Finance sees all of the company, but only where it has the model's view function.
    assert not Memo.objects.visible_to(finance).exists()
    finance.user_permissions.add(Permission.objects.get(codename="view_memo"))
    finance = type(finance).objects.get(pk=finance.pk)
    assert list(Memo.objects.visible_to(finance)) == [memo]
    assert not Memo.objects.editable_by(finance).exists()


def test_records_of_the_other_company_stay_hidden_until_switching(client, org, memo):
    boss = org.boss
    from tests.access import member

    member(boss, org.other_company, "sales_manager")
    other_memo = MemoFactory(owner=boss, company=org.other_company, title="Másik cég ügye")
    boss = type(boss).objects.get(pk=boss.pk)
    assert set(Memo.objects.visible_to(boss)) == {memo}
    client.force_login(boss)
    response = client.post(
        reverse("switch_company"), {"company": org.other_company.pk, "next": "/memos/"}
    )
    assert response.status_code == 302 and response["Location"] == "/memos/"
    html = client.get("/memos/").content.decode()
    assert "Másik cég ügye" in html and "Árajánlat egyeztetés" not in html
    assert other_memo.pk


def test_switching_to_a_company_one_does_not_belong_to_is_refused(client, org):
    client.force_login(org.owner)
    response = client.post(
        reverse("switch_company"), {"company": org.other_company.pk}, follow=True
    )
    assert "Ön nem tagja ennek a cégnek" in response.content.decode()
    org.owner.refresh_from_db()
    assert org.owner.current_company == org.company


def test_a_user_without_a_company_sees_nothing_and_is_told_why(client, org, memo):
    client.force_login(org.outsider)
    assert not Memo.objects.visible_to(org.outsider).exists()
    html = client.get("/").content.decode()
    assert "Még nem tagja egyetlen saját cégnek sem" in html


def test_a_user_deactivated_mid_session_loses_access_on_the_next_request(client, org, memo):
    client.force_login(org.supervisor)
    url = reverse("memo-detail", args=[memo.pk])
    assert client.get(url).status_code == 200
    org.supervisor.is_active = False
    org.supervisor.save(update_fields=["is_active"])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_issues_the_same_number_of_queries_for_1_and_50_rows(client, org):
    client.force_login(org.boss)
    MemoFactory(owner=org.owner)
    client.get(reverse("memo-list"))  # fills the cached access profile
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("memo-list"))
    MemoFactory.create_batch(49, owner=org.peer)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse("memo-list"))
    assert response.content.decode().count('<li><a href="/memos/') == 50
    assert len(one) == len(fifty)


def test_the_list_pages_by_keyset(client, org):
    MemoFactory.create_batch(55, owner=org.owner)
    client.force_login(org.owner)
    first = client.get(reverse("memo-list"))
    after = first.context["next_after"]
    assert after is not None
    second = client.get(reverse("memo-list"), {"after": after})
    assert len(second.context["object_list"]) == 5
    assert second.context["next_after"] is None


def test_the_merged_page_equals_the_plain_scoped_page_for_every_persona(org):
    import random

    rng = random.Random(7)
    owners = [org.owner, org.peer, org.supervisor, org.second_supervisor, org.boss]
    memos = [MemoFactory(owner=rng.choice(owners)) for _ in range(120)]
    assign_perm("scoping_app.view_memo", org.peer, memos[3])
    assign_perm("scoping_app.view_memo", org.peer, memos[100])
    for persona, user in org.users.items():
        user = type(user).objects.get(pk=user.pk)
        expected = list(Memo.objects.visible_to(user).order_by("-pk"))
        got, after = [], None
        while True:
            page = Memo.objects.visible_page(user, after=after, size=20)
            got.extend(page[:20])
            if len(page) <= 20:
                break
            after = page[19].pk
        assert got == expected, persona


def test_a_signed_in_request_gets_its_user_at_once_and_others_a_lazy_one(client, org):
    """AccessProfileMiddleware reads the user when the request carries a session cookie (the
    page reads it anyway, and a lazy object costs more on every use), and leaves it lazy
    otherwise, so a request without a session never reads one."""
    from importlib import import_module

    from django.conf import settings
    from django.test import RequestFactory
    from django.utils.functional import SimpleLazyObject

    from crm.access import AccessProfileMiddleware

    seen = []
    middleware = AccessProfileMiddleware(lambda request: seen.append(request.user))
    client.force_login(org.owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    signed_in = RequestFactory().get("/", HTTP_COOKIE=cookie)
    anonymous = RequestFactory().get("/")
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for request in (signed_in, anonymous):
        request.session = store(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        middleware(request)
    assert type(seen[0]) is type(org.owner) and seen[0].pk == org.owner.pk
    assert isinstance(seen[1], SimpleLazyObject) and not anonymous.session.accessed
    assert seen[1].is_anonymous


def test_has_perm_without_an_object_answers_as_djangos_backends_do(org, memo, monkeypatch):
    """User.has_perm answers from the known permissions alone; every persona, every
    permission, before and after the request's profile is attached, and on an object."""
    from django.contrib.auth.models import _user_has_perm

    from crm import access
    from crm.models import User

    names = sorted(
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    )
    for persona, user in org.users.items():
        truth = User.objects.get(pk=user.pk)  # asked through Django's loop over the backends
        for attached in (False, True):
            fresh = User.objects.get(pk=user.pk)
            if attached:
                access.attach(fresh)
                assert "_perm_cache" in fresh.__dict__ or not fresh.is_active
            for name in names:
                django = (truth.is_active and truth.is_superuser) or _user_has_perm(
                    truth, name, None
                )
                assert fresh.has_perm(name) == django, (persona, attached, name)
    # once attached, the known permissions answer without Django's loop over the backends
    from django.contrib.auth import models as auth_models

    rep = User.objects.get(pk=org.users["owner"].pk)
    access.attach(rep)

    def no_loop():
        raise AssertionError("the backends were asked")

    with monkeypatch.context() as patched:
        patched.setattr(auth_models.auth, "get_backends", no_loop)
        assert rep.has_perm("scoping_app.view_memo")
        assert not rep.has_perm("scoping_app.nonexistent_memo")
    # on an object the backends are asked (guardian's grants on the record)
    owner = User.objects.get(pk=org.users["peer"].pk)
    access.attach(owner)
    assert not owner.has_perm("scoping_app.change_memo", memo)
    assign_perm("scoping_app.change_memo", owner, memo)
    assert User.objects.get(pk=owner.pk).has_perm("scoping_app.change_memo", memo)
