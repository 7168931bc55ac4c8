"""The optional virus scan of uploads by ClamAV's daemon (clamd), when ``CLAMD_HOST`` or
``CLAMD_SOCKET`` is set: the file is streamed to it with the INSTREAM command (chunks of
at most 1 MB, each after its length as 4 bytes, big-endian, then a zero length) and clamd
answers ``stream: OK`` or ``stream: <name> FOUND``. A found virus refuses the upload; when
clamd cannot be reached or cannot scan the file (too big for its ``StreamMaxLength``),
``CLAMD_WHEN_DOWN`` decides: ``refuse`` (the default) or ``accept`` (logged).

The protocol is clamd's own (``man clamd``, "INSTREAM"); a few lines over a socket, so no
client library (the ones on PyPI are unmaintained)."""

import logging
import socket
import struct

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


class ScanFailed(Exception):
    """clamd could not be reached or could not scan the file."""


def enabled() -> bool:
    return bool(settings.CLAMD_HOST or settings.CLAMD_SOCKET)


def _connect() -> socket.socket:
    timeout = settings.CLAMD_TIMEOUT
    if settings.CLAMD_SOCKET:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(settings.CLAMD_SOCKET)
        return sock
    return socket.create_connection((settings.CLAMD_HOST, settings.CLAMD_PORT), timeout=timeout)


def instream(fileobj) -> str:
    """clamd's answer for the content of ``fileobj`` (read from its start in chunks):
    ``OK`` or ``<virus name> FOUND``; ScanFailed when it cannot be had."""
    fileobj.seek(0)
    try:
        with _connect() as sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := fileobj.read(CHUNK):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
    except OSError as error:  # refused, reset (clamd stops reading past its limit), timeout
        raise ScanFailed(repr(error)) from error
    finally:
        fileobj.seek(0)
    text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.startswith("stream: "):
        text = text[len("stream: ") :]
    if text == "OK" or text.endswith(" FOUND"):
        return text
    raise ScanFailed(text or "no answer")


def scan(fileobj, name: str) -> None:
    """Refuses ``fileobj`` (ValidationError with a message for the user) when clamd finds a
    virus in it, or when it cannot be scanned and the policy is to refuse. Nothing happens
    when no clamd is configured."""
    if not enabled():
        return
    try:
        answer = instream(fileobj)
    except ScanFailed as error:
        policy = settings.CLAMD_WHEN_DOWN
        log.warning("Virus scan of %s failed (%s); policy: %s", name, error, policy)
        if policy == "accept":
            return
        raise ValidationError(
            _(
                "The file could not be checked for viruses now, so it was not stored. Please"
                " try again later; if it persists, tell the administrator."
            ),
            code="virus_scan",
        ) from None
    if answer.endswith(" FOUND"):
        virus = answer[: -len(" FOUND")]
        log.warning("Virus %s found in an upload (%s): refused", virus, name)
        raise ValidationError(
            _("The file contains a virus (%(name)s): it was not stored.") % {"name": virus},
            code="virus",
        )
