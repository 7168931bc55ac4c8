"""The web worker's entry point (crm/wsgi.py): the garbage collector's tuning."""

import json
import subprocess
import sys

import pytest

from tests.conftest import subprocess_env

PROBE = (
    "import gc, json, crm.wsgi;"
    " print(json.dumps([gc.get_threshold(), gc.get_freeze_count(), gc.get_count()[0]]))"
)


def _start(**env) -> subprocess.CompletedProcess:
    """A process that imports the worker's entry point, as gunicorn does, and reports."""
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        env=subprocess_env(DJANGO_SETTINGS_MODULE="tests.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _probe(**env) -> tuple[list, int, int]:
    done = _start(**env)
    assert done.returncode == 0, done.stderr
    threshold, frozen, young = json.loads(done.stdout.strip().splitlines()[-1])
    return threshold, frozen, young


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 50_000), ("20000", 20_000)], ids=["default", "set"]
)
def test_a_worker_freezes_what_start_up_made_and_collects_seldom(value, expected):
    threshold, frozen, young = _probe(**({"WEB_GC_THRESHOLD": value} if value else {}))
    assert threshold == [expected, 10, 10]
    # Django, the apps and the settings: well over 10,000 objects the collector never walks
    assert frozen > 10_000
    assert young < 1_000


def test_zero_leaves_pythons_defaults():
    threshold, frozen, _young = _probe(WEB_GC_THRESHOLD="0")
    assert threshold == [700, 10, 10]
    assert frozen == 0


def test_a_wrong_value_stops_the_start_with_one_line():
    done = _start(WEB_GC_THRESHOLD="lots")
    assert done.returncode != 0
    assert "WEB_GC_THRESHOLD='lots' is not a whole number." in done.stderr
