"""A real Dovecot IMAP server on a free loopback port, for the tests of the bounce mailbox.

Use the ``dovecot`` fixture (import it into the test module), or ``start_dovecot(tmpdir)`` as a
context manager. It is skipped when Dovecot is not installed, except in CI (``CI=true``), where
a missing Dovecot is a failure: ``.ci/run`` installs it.
"""

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "bounces"
PASSWORD = "bounce-secret"  # noqa: S105 - a throwaway server on loopback


def _binary(name: str) -> str | None:
    """``dovecot`` lives in /usr/sbin, which a non-root PATH often lacks."""
    found = shutil.which(name)
    if found:
        return found
    for directory in ("/usr/sbin", "/usr/bin"):
        if os.access(f"{directory}/{name}", os.X_OK):
            return f"{directory}/{name}"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dovecot:
    base: Path
    port: int
    user: str = USER
    password: str = PASSWORD

    @property
    def config(self) -> Path:
        return self.base / "dovecot.conf"

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        conn = self.connect()
        try:
            typ, data = conn.append(mailbox, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def count(self, mailbox: str = "INBOX") -> int:
        conn = self.connect()
        try:
            typ, data = conn.select(mailbox, readonly=True)
            assert typ == "OK", data
            return int(data[0])
        finally:
            conn.logout()

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _accounts() -> tuple[int, int, str, str]:
    """(uid, gid, login user, internal user) the server runs its processes as. As root: the
    Debian ``dovecot`` / ``dovenull`` accounts (a mail user with uid 0 is refused); else the
    current user for everything."""
    if os.geteuid() == 0:
        internal = pwd.getpwnam("dovecot")
        try:
            login = pwd.getpwnam("dovenull").pw_name
        except KeyError:
            login = internal.pw_name
        return internal.pw_uid, internal.pw_gid, login, internal.pw_name
    me = pwd.getpwuid(os.geteuid())
    return me.pw_uid, me.pw_gid, me.pw_name, me.pw_name


def _write_config(base: Path, port: int) -> None:
    uid, gid, login_user, internal_user = _accounts()
    mail = base / "mail"
    (mail / "Maildir").mkdir(parents=True)
    (base / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{mail}::\n")
    (base / "dovecot.conf").write_text(
        f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{mail}/Maildir
passdb {{
  driver = passwd-file
  args = {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = {base}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    )
    base.chmod(0o755)
    if os.geteuid() == 0:
        for path in (mail, mail / "Maildir"):
            os.chown(path, uid, gid)


def _stop(server: Dovecot) -> None:
    subprocess.run(
        [_binary("doveadm") or "doveadm", "-c", str(server.config), "stop"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    pid_file = server.base / "run" / "master.pid"
    deadline = time.monotonic() + 10
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_file.exists():
        with contextlib.suppress(ValueError, ProcessLookupError, OSError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)


@contextlib.contextmanager
def start_dovecot(base: Path | None = None):
    """Starts Dovecot with a config of its own under ``base`` (a new temp dir by default) and
    stops it on exit. Yields a ``Dovecot``."""
    binary = _binary("dovecot")
    if not binary:
        reason = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI must have it (.ci/run installs it)")
        pytest.skip(reason)
    own_dir = base is None
    base = Path(tempfile.mkdtemp(prefix="crm-dovecot-")) if own_dir else base
    server = Dovecot(base=base, port=_free_port())
    _write_config(base, server.port)
    try:
        # Dovecot forks into the background; its children must not hold our pipes open.
        with open(base / "start.log", "wb") as out:
            started = subprocess.run(
                [binary, "-c", str(server.config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                timeout=30,
                check=False,
            )
        output = (base / "start.log").read_text(errors="replace")
        assert started.returncode == 0, f"dovecot did not start: {output}{server.log()}"
        deadline = time.monotonic() + 20
        while True:
            try:
                server.connect().logout()
                break
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    raise AssertionError(f"dovecot does not answer: {server.log()}") from None
                time.sleep(0.1)
        yield server
    finally:
        _stop(server)
        if own_dir:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def dovecot():
    with start_dovecot() as server:
        yield server
