"""The visibility index (crm_visibility, kept by triggers) always agrees with the rule that
``visible_to`` applies, through random changes of the hierarchy and of the records."""

import random

import pytest
from django.db import connection
from django.db.models import F

from crm import hierarchy
from crm.models import Company, Membership, SupervisorLink, Visibility
from crm.scoping import table_id
from tests.factories import UserFactory
from tests.scoping_app.models import Memo

pytestmark = pytest.mark.django_db


def index_of(user, company) -> set[int]:
    return set(
        Visibility.objects.filter(
            viewer_id=user.pk, tab=table_id(Memo), company_id=company.pk
        ).values_list("record_id", flat=True)
    )


def rule_of(user, company) -> set[int]:
    fresh = type(user).objects.get(pk=user.pk)
    owners = hierarchy.scope_owner_ids(fresh)
    return set(
        Memo.objects.filter(company=company, owner_id__in=owners).values_list("pk", flat=True)
    )


def test_random_changes_keep_the_index_equal_to_the_rule():
    rng = random.Random(2026)
    companies = [
        Company.objects.create(name="A Kft.", tax_number="10773381-2-44"),
        Company.objects.create(name="B Zrt.", tax_number="12345676-2-41"),
    ]
    users = [UserFactory() for _ in range(12)]
    for user in users:
        Membership.objects.create(user=user, company=companies[0])

    def add_link():
        user, supervisor = rng.sample(users, 2)
        if not hierarchy.would_create_cycle(user_id=user.pk, supervisor_id=supervisor.pk):
            SupervisorLink.objects.get_or_create(user=user, supervisor=supervisor)

    def pick(queryset, count=1):
        """Deterministic choice (the seed decides, not the database)."""
        ids = sorted(queryset.values_list("pk", flat=True))
        return rng.sample(ids, min(count, len(ids)))

    def remove_link():
        SupervisorLink.objects.filter(pk__in=pick(SupervisorLink.objects)).delete()

    def move_link():
        for link in SupervisorLink.objects.filter(pk__in=pick(SupervisorLink.objects)):
            candidate = rng.choice(users)
            taken = SupervisorLink.objects.filter(user_id=link.user_id, supervisor=candidate)
            if not taken.exists() and not hierarchy.would_create_cycle(
                user_id=link.user_id, supervisor_id=candidate.pk
            ):
                SupervisorLink.objects.filter(pk=link.pk).update(supervisor=candidate)

    def create_memos():
        Memo.objects.bulk_create(
            Memo(company=rng.choice(companies), owner=rng.choice(users), title="x")
            for _ in range(rng.randint(1, 6))
        )

    def reassign():
        Memo.objects.filter(pk__in=pick(Memo.objects, 3)).update(owner=rng.choice(users))

    def move_company():
        Memo.objects.filter(pk__in=pick(Memo.objects)).update(company=rng.choice(companies))

    def retitle():
        Memo.objects.filter(pk__in=pick(Memo.objects, 2)).update(title="y")

    def delete_memos():
        Memo.objects.filter(pk__in=pick(Memo.objects, 2)).delete()

    steps = [
        add_link,
        add_link,
        add_link,
        remove_link,
        move_link,
        create_memos,
        create_memos,
        reassign,
        move_company,
        retitle,
        delete_memos,
    ]
    for _ in range(120):
        rng.choice(steps)()
        for user in users:
            for company in companies:
                assert index_of(user, company) == rule_of(user, company)
    assert SupervisorLink.objects.count() > 3 and Memo.objects.count() > 10
    assert Visibility.objects.exclude(viewer_id=F("owner_id")).count() > 10  # not vacuous


def test_the_index_can_be_rebuilt_from_scratch():
    company = Company.objects.create(name="A Kft.", tax_number="10773381-2-44")
    boss, rep = UserFactory(), UserFactory()
    SupervisorLink.objects.create(user=rep, supervisor=boss)
    Memo.objects.create(company=company, owner=rep, title="x")
    before = set(Visibility.objects.values_list("viewer_id", "record_id"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT crm_visibility_rebuild(%s::regclass)", [Memo._meta.db_table])
        assert cursor.fetchone()[0] == 2
    assert set(Visibility.objects.values_list("viewer_id", "record_id")) == before


def test_the_rebuild_command(capsys):
    from django.core.management import call_command

    call_command("rebuild_visibility")
    assert "scoping_app.Memo: 0 rows" in capsys.readouterr().out
