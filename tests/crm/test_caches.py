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
    key = f"crm:access:{access.PROFILE_FORMAT}:{access.generation()}:{org.owner.pk}:0"
    assert cache.get(key)["companies"] == [(org.company.pk, org.company.name)]
    access.bump()
    assert f"crm:access:{access.PROFILE_FORMAT}:{access.generation()}:{org.owner.pk}:0" != key


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
