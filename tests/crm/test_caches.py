"""The per-request facts kept in Redis (crm.access, crm.reference): forgotten when what they
are built from changes, and never needed: with Redis unreachable the pages still answer."""

from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from crm import access
from crm.models import Membership
from partners.models import Industry, Tag
from tests.access import build_org

DEAD_REDIS = {
    "default": {
        "BACKEND": "crm.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def test_a_new_industry_and_tag_are_offered_on_the_next_request(client, db):
    org = build_org()
    client.force_login(org.owner)
    url = reverse("partners:list")
    assert "Kutyakozmetika" not in client.get(url).content.decode()
    Industry.objects.create(code="96.09", name_hu="Kutyakozmetika", name_en="Dog grooming")
    Tag.objects.create(name="Törzsvevő")
    page = client.get(url).content.decode()
    assert "Kutyakozmetika" in page and "Törzsvevő" in page


def test_leaving_a_company_applies_on_the_next_request(client, db):
    org = build_org()
    client.force_login(org.owner)
    assert org.company.name in client.get(reverse("home")).content.decode()
    Membership.objects.filter(user=org.owner).delete()
    page = client.get(reverse("home")).content.decode()
    assert org.company.name not in page
    assert "No company" in page or "Nincs cég" in page


def test_the_profile_is_shared_between_requests_and_rebuilt_after_a_bump(client, db):
    org = build_org()
    client.force_login(org.owner)
    client.get(reverse("home"))
    user_key, key = access._keys(org.owner.pk)
    assert cache.get(key)["companies"] == ((org.company.pk, org.company.name),)
    assert cache.get(user_key).username == org.owner.username
    access.bump()
    assert access._keys(org.owner.pk) != (user_key, key)


def test_pages_answer_with_redis_unreachable(client, db):
    org = build_org()
    client.force_login(org.owner)
    with override_settings(CACHES=DEAD_REDIS):
        for url in (reverse("home"), reverse("partners:list"), reverse("partners:contacts")):
            response = client.get(url)
            assert response.status_code == 200, url


def test_a_renamed_colleague_is_offered_by_the_new_name_and_a_login_keeps_the_profiles(client, db):
    from django.contrib.auth.models import update_last_login

    org = build_org()
    client.force_login(org.supervisor)
    url = reverse("partners:list")
    assert "Tulaj Olga" in client.get(url).content.decode()  # the owner filter's choices
    org.owner.last_name = "Újnév"
    org.owner.save()
    page = client.get(url).content.decode()
    assert "Újnév Olga" in page and "Tulaj Olga" not in page
    before = access.generation()
    update_last_login(None, org.owner)  # what every login saves
    assert access.generation() == before


def _tables_read(client, url) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return " ".join(q["sql"] for q in captured.captured_queries)


def test_a_signed_in_page_reads_neither_the_session_nor_the_user_from_the_database(client, db):
    org = build_org()
    client.force_login(org.owner)
    url = reverse("partners:list")
    client.get(url)  # the first request after the login fills the cache
    sql = _tables_read(client, url)
    assert "django_session" not in sql
    assert 'FROM "crm_user" WHERE "crm_user"."id" =' not in sql


def test_a_deactivated_or_renamed_user_is_seen_at_once_and_logout_ends_the_session(client, db):
    org = build_org()
    client.force_login(org.owner)
    url = reverse("partners:list")
    assert client.get(url).status_code == 200
    org.owner.first_name = "Olgácska"
    org.owner.save()
    assert "Olgácska" in client.get(url).content.decode()  # the top bar's name
    org.owner.is_active = False
    org.owner.save()
    assert client.get(url).status_code == 302  # to the login page
    org.owner.is_active = True
    org.owner.save()
    client.force_login(org.owner)
    assert client.get(url).status_code == 200
    client.post(reverse("logout"))
    assert client.get(url).status_code == 302


def test_a_new_password_ends_the_other_sessions(client, db):
    org = build_org()
    client.force_login(org.owner)
    url = reverse("partners:list")
    assert client.get(url).status_code == 200  # user and session now cached
    org.owner.set_password("Hosszu-jelszo-42")
    org.owner.save()
    assert client.get(url).status_code == 302


def test_sessions_survive_a_redis_flush(client, db):
    org = build_org()
    client.force_login(org.owner)
    url = reverse("partners:list")
    assert client.get(url).status_code == 200
    cache.clear()
    assert client.get(url).status_code == 200


def test_a_top_bar_from_memory_carries_this_session_s_token_and_this_page_s_address(db):
    import re

    from django.test import Client

    from crm import fragments

    org = build_org()
    fragments.forget_all()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(org.owner)
    second.force_login(org.owner)

    def top_bars():
        return [key for key in fragments._fragments if key[0] == "inc/topbar.html"]

    first.get(reverse("partners:list"))  # draws the top bar and keeps it
    assert len(top_bars()) == 1
    page = second.get(reverse("partners:list") + "?q=<b>").content.decode()
    assert len(top_bars()) == 1  # the same top bar, from memory
    assert fragments.TOKEN not in page and fragments.NEXT not in page
    assert 'name="next" value="/partners/?q=%3Cb%3E"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    # The token in the top bar's forms is this session's: the language switch accepts it.
    response = second.post(
        reverse("set_language"),
        {"language": "en", "next": "/partners/", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert "Partners" in second.get("/partners/").content.decode()  # now in English
    assert len(top_bars()) == 2  # the English top bar is another one


def test_reference_lists_kept_in_the_worker_follow_another_process_s_change(client, db):
    from crm import reference

    org = build_org()
    client.force_login(org.owner)
    url = reverse("partners:list")
    assert "Kutyakozmetika" not in client.get(url).content.decode()
    # Written without signals, as by another process, whose signal bumps the shared generation:
    Industry.objects.bulk_create(
        [Industry(code="96.09", name_hu="Kutyakozmetika", name_en="Dog grooming")]
    )
    assert "Kutyakozmetika" not in client.get(url).content.decode()  # this worker's copy
    cache.incr(reference.GENERATION_KEY)
    assert "Kutyakozmetika" in client.get(url).content.decode()


def test_the_worker_s_copy_of_a_user_expires(client, db):
    from crm.models import User

    org = build_org()
    client.force_login(org.owner)
    url = reverse("partners:list")
    client.get(url)
    assert client.get(url).status_code == 200  # now kept in the worker
    # Deactivated without signals (so the generation stays), as the docstring warns against:
    User.objects.filter(pk=org.owner.pk).update(is_active=False)
    assert client.get(url).status_code == 200  # the copies still say active, for a while
    # Once both copies are past their time (the shared cache's expires by itself):
    access._local.expire(access._local.timer() + access.LOCAL_SECONDS + 1)
    cache.delete(access._keys(org.owner.pk)[0])
    assert client.get(url).status_code == 302


def test_a_user_read_outside_a_request_leaves_no_stale_values_behind(db):
    """A user read by the backend outside a request (a task, a test) used to leave the values
    read with it (the reference lists' generation) to everything after it in the thread, so a
    changed reference list was not seen until the worker's copy expired."""
    from crm import reference
    from partners.reference import tags

    org = build_org()
    access.CachingModelBackend().get_user(org.owner.pk)
    assert tags() == []
    Tag.objects.create(name="Kiemelt")  # its signal starts a new generation
    assert [t.name for t in tags()] == ["Kiemelt"]
    assert access.request_value(reference.GENERATION_KEY) == (False, None)
