"""The second half of upload safety: the virus scan by clamd (a small clamd speaking the
INSTREAM protocol on loopback) and the legacy Office formats told from installers and other
OLE2 files by what is inside them (olefile)."""

import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents import uploads

from . import ole
from .conftest import PDF, make_document, pdf, stored_files
from .servers import FakeClamd, eicar, free_port

pytestmark = pytest.mark.django_db

VIRUS = "A fájl vírust tartalmaz (Eicar-Test-Signature)"  # "The file contains a virus"
NOT_CHECKED = "A fájlt most nem lehetett víruskeresővel ellenőrizni"  # "could not be checked"


def upload(client, document, file):
    return client.post(
        reverse("documents:upload", args=[document.pk]),
        {"file": file},
        HTTP_ACCEPT="application/json",
    )


def test_a_clean_file_is_streamed_to_clamd_whole_and_stored(org, client, clamd, media):
    content = PDF + os.urandom(3 * 1024 * 1024)  # four INSTREAM chunks
    document = make_document(org.owner)
    client.force_login(org.owner)
    response = upload(client, document, pdf("v2.pdf", content[len(PDF) :]))
    assert response.status_code == 200, response.json()
    assert clamd.received[-1] == content
    assert document.versions.count() == 2


def test_a_virus_is_refused_naming_it_and_nothing_is_stored(org, client, clamd, media):
    document = make_document(org.owner)
    client.force_login(org.owner)
    before = stored_files(media)
    response = upload(client, document, SimpleUploadedFile("jegyzet.txt", eicar()))
    assert response.status_code == 400
    assert VIRUS in response.json()["error"]
    assert document.versions.count() == 1 and stored_files(media) == before


def test_clamd_down_refuses_by_default_and_accepts_when_told(org, client, settings, media):
    settings.CLAMD_HOST, settings.CLAMD_PORT = "127.0.0.1", free_port()  # nothing listens
    document = make_document_without_scan(org.owner, settings)
    client.force_login(org.owner)
    response = upload(client, document, pdf("v2.pdf", b"% 2\n"))
    assert response.status_code == 400 and NOT_CHECKED in response.json()["error"]
    assert document.versions.count() == 1
    settings.CLAMD_WHEN_DOWN = "accept"
    assert upload(client, document, pdf("v2.pdf", b"% 2\n")).status_code == 200
    assert document.versions.count() == 2


def test_a_file_over_clamds_stream_limit_follows_the_policy(org, clamd, settings):
    clamd.max_bytes = 1024 * 1024
    with pytest.raises(ValidationError) as error:
        uploads.check(pdf("nagy.pdf", b"0" * 2 * 1024 * 1024))
    assert NOT_CHECKED in error.value.messages[0]
    settings.CLAMD_WHEN_DOWN = "accept"
    assert uploads.check(pdf("nagy.pdf", b"0" * 2 * 1024 * 1024)).mime == uploads.PDF


def test_clamd_on_its_unix_socket(settings, tmp_path):
    fake = FakeClamd(path=str(tmp_path / "clamd.sock"))
    settings.CLAMD_HOST, settings.CLAMD_SOCKET = "", str(tmp_path / "clamd.sock")
    try:
        assert uploads.check(pdf()).mime == uploads.PDF
        with pytest.raises(ValidationError, match="Eicar-Test-Signature"):
            uploads.check(SimpleUploadedFile("a.txt", eicar()))
    finally:
        fake.stop()
    assert len(fake.received) == 2


def make_document_without_scan(owner, settings):
    host = settings.CLAMD_HOST
    settings.CLAMD_HOST = ""
    document = make_document(owner)
    settings.CLAMD_HOST = host
    return document


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("szerzodes.doc", ole.doc(), uploads.DOC),
        ("arlista.xls", ole.xls(), uploads.XLS),
        ("arlista-regi.dat", ole.xls(), uploads.XLS),  # by content, whatever the name
    ],
)
def test_word_and_excel_files_of_the_old_format_by_their_streams(name, content, mime):
    assert uploads.check(SimpleUploadedFile(name, content)).mime == mime


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("szerzodes.doc", ole.msi(), "Programot nem lehet"),  # an installer renamed
        ("bemutato.doc", ole.ppt(), "sem Word (DOC), sem Excel (XLS)"),
        ("serult.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "sérült"),
    ],
)
def test_other_ole2_files_are_refused(name, content, says):
    with pytest.raises(ValidationError) as error:
        uploads.check(SimpleUploadedFile(name, content))
    assert says in " ".join(error.value.messages)
