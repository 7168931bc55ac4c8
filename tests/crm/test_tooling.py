"""The project's own checks run inside the suite: Django checks, migrations, ruff, settings."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import ROOT, run_python

RUFF = str(Path(sys.prefix) / "bin" / "ruff")


def test_django_system_checks_pass():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_ruff_lint_is_clean():
    result = subprocess.run([RUFF, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_ruff_format_is_clean():
    result = subprocess.run(
        [RUFF, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def _production_env(**overrides) -> dict:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "crm.pelda.hu",
        "DATABASE_URL": "postgres://crm:titok@db.pelda.hu:5432/crm",
        "REDIS_URL": "redis://cache.pelda.hu:6379/0",
        "EMAIL_URL": "smtp://mail.pelda.hu:25",
    }
    env.update(overrides)
    return env


def test_deploy_check_passes_with_production_settings():
    result = run_python(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=_production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "rovid"}, "SECRET_KEY is too short"),
        ({"DEBUG": "talan"}, "DEBUG='talan' is not a boolean"),
        ({"HTTPS": "igen"}, "HTTPS='igen' is not a boolean"),
        ({"DATABASE_URL": "mysql://crm@db/crm"}, "DATABASE_URL must be a postgres:// URL"),
        ({"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL='127.0.0.1:6379' must start with redis://"),
        ({"HEARTBEAT_MAX_AGE": "sok"}, "HEARTBEAT_MAX_AGE='sok' is not a whole number"),
        (
            {"SECRET_KEY_FILE": "/nincs/ilyen/fajl"},
            "SECRET_KEY_FILE='/nincs/ilyen/fajl' cannot be read",
        ),
    ],
)
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(overrides, message):
    result = run_python("manage.py", "check", env=_production_env(**overrides))
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm: configuration error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_secret_key_in_production_is_named():
    env = _production_env()
    del env["SECRET_KEY"]
    result = run_python("manage.py", "check", env=env)
    assert result.returncode != 0
    assert (
        result.stderr.strip()
        == "crm: configuration error: Set the SECRET_KEY environment variable."
    )


def test_https_turns_on_secure_cookies_and_hsts():
    script = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " s.SECURE_SSL_REDIRECT)"
    )
    result = run_python("-c", script, env=_production_env())
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr
    result = run_python(
        "-c",
        script.replace(" s.SECURE_HSTS_SECONDS > 0,", "").replace(" s.SECURE_SSL_REDIRECT", " 'x'"),
        env=_production_env(HTTPS="false"),
    )
    assert result.stdout.split()[:2] == ["False", "False"], result.stderr
