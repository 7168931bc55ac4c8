import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from crm.demo import DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.django_db


def test_demo_data_loads_once_and_a_second_run_changes_nothing(capsys):
    User = get_user_model()
    call_command("load_demo")
    assert User.objects.count() == len(DEMO_USERS)
    anna = User.objects.get(username="kovacs.anna")
    assert anna.check_password(DEMO_PASSWORD)
    assert str(anna) == "Kovács Anna"
    assert User.objects.get(username="admin").is_superuser

    anna.set_password("Anna-sajat-jelszava-1")
    anna.save()
    call_command("load_demo")
    assert User.objects.count() == len(DEMO_USERS)
    anna.refresh_from_db()
    assert anna.check_password("Anna-sajat-jelszava-1")
    assert "0 new user(s)" in capsys.readouterr().out
