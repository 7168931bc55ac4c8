"""The deployment files are well-formed: compose services, systemd units, scripts, Dockerfile."""

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

try:
    import yaml
except ImportError:  # PyYAML is not a dependency of the project; fall back to a plain check
    yaml = None

DEPLOY = ROOT / "deploy"
COMPOSE = ROOT / "docker-compose.yml"
SERVICES = {"postgres", "redis", "mailpit", "migrate", "web", "worker", "beat"}
UNITS = ["crm-web.service", "crm-worker.service", "crm-beat.service"]


def compose_service_names() -> set[str]:
    text = COMPOSE.read_text()
    if yaml is not None:
        return set(yaml.safe_load(text)["services"])
    block = re.search(r"^services:\n((?:[ \t].*\n|\n)+)", text, re.MULTILINE)
    assert block, "docker-compose.yml has no services: section"
    return set(re.findall(r"^  ([A-Za-z0-9._-]+):", block.group(1), re.MULTILINE))


def test_compose_has_every_service():
    assert compose_service_names() >= SERVICES


@pytest.mark.skipif(yaml is None, reason="PyYAML is not installed")
def test_compose_starts_the_application_after_the_migrations():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert len(services[name]["environment"]["SECRET_KEY"]) >= 50
    assert services["postgres"]["image"] == "postgres:15"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_dockerfile_copies_only_files_that_exist_and_are_not_ignored():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", "node_modules", ".git"} <= ignored
    copies = re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE)
    sources = {source for line in copies for source in line.split()} - {"."}
    assert sources, "the Dockerfile copies nothing from the build context"
    for source in sources:
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is missing"
        assert source not in ignored, f"the Dockerfile copies {source}, but .dockerignore drops it"


@pytest.mark.parametrize("name", ["backup.sh", "restore.sh"])
def test_scripts_are_executable_bash(name):
    script = DEPLOY / name
    assert os.access(script, os.X_OK), f"chmod +x deploy/{name}"
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_units_verify(tmp_path):
    """``systemd-analyze verify`` on the units, with stand-ins for the virtualenv's programs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("gunicorn", "celery"):
        stub = bin_dir / program
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    paths = []
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        assert "/opt/crm/.venv/bin/" in text and "EnvironmentFile=/etc/crm/crm.env" in text
        copy = tmp_path / unit
        copy.write_text(text.replace("/opt/crm/.venv/bin/", f"{bin_dir}/"))
        paths.append(str(copy))
    result = subprocess.run(
        ["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=60
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, output
    # Unknown keys and bad values are only warnings to systemd: fail on them too.
    assert not [line for line in output.splitlines() if "crm-" in line], output
