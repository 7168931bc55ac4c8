import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from crm import hierarchy
from crm.demo import DEMO_PASSWORD, DEMO_USERS, FIRST, SECOND
from crm.models import Company, Membership, SupervisorLink

pytestmark = pytest.mark.django_db


def counts():
    return (
        get_user_model().objects.count(),
        Company.objects.count(),
        Membership.objects.count(),
        SupervisorLink.objects.count(),
    )


def test_demo_data_loads_once_and_a_second_run_changes_nothing(capsys):
    User = get_user_model()
    call_command("load_demo")
    first = counts()
    assert first[0] == len(DEMO_USERS)
    anna = User.objects.get(username="kovacs.anna")
    assert anna.check_password(DEMO_PASSWORD)
    assert str(anna) == "Kovács Anna"
    assert User.objects.get(username="admin").is_superuser

    anna.set_password("Anna-sajat-jelszava-1")
    anna.save()
    SupervisorLink.objects.filter(user__username="toth.balazs").delete()
    call_command("load_demo")
    assert counts() == (first[0], first[1], first[2], first[3] - 1)
    anna.refresh_from_db()
    assert anna.check_password("Anna-sajat-jelszava-1")
    assert "0 new user(s)" in capsys.readouterr().out


def test_the_demo_organisation():
    call_command("load_demo")
    User = get_user_model()
    director = User.objects.get(username="szabo.gabor")
    names = set(
        User.objects.filter(pk__in=hierarchy.subordinate_ids(director)).values_list(
            "username", flat=True
        )
    )
    assert names == {
        "nagy.peter",
        "kiss.eszter",
        "kovacs.anna",
        "toth.balazs",
        "horvath.zsofia",
        "varga.mate",
        "molnar.david",
    }
    molnar = User.objects.get(username="molnar.david")
    assert {m.username for m in hierarchy.managers_of(molnar)} == {"nagy.peter", "kiss.eszter"}
    judit = User.objects.get(username="farkas.judit")
    assert set(
        User.objects.filter(pk__in=hierarchy.subordinate_ids(judit)).values_list(
            "username", flat=True
        )
    ) == {"balogh.adam", "papp.reka"}
    assert judit.memberships.get().company.name == SECOND
    finance = User.objects.get(username="simon.laszlo")
    assert set(finance.memberships.values_list("company__name", flat=True)) == {FIRST, SECOND}
    assert finance.has_perm("crm.view_all_company_records")


def test_the_second_company_has_partners_of_its_own_reps():
    """The partner master is shared: the second company's reps own some partners there, so its
    screens show something (found empty by a user audit)."""
    from partners.models import Partner

    call_command("load_demo")
    User = get_user_model()
    adam = User.objects.get(username="balogh.adam")
    judit = User.objects.get(username="farkas.judit")
    assert Partner.objects.visible_to(adam).exists()
    assert Partner.objects.visible_to(judit).count() > Partner.objects.visible_to(adam).count()
    anna = User.objects.get(username="kovacs.anna")
    assert Partner.objects.visible_to(anna).exists()
