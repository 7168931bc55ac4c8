"""The store's files on both storages: the file system under MEDIA_ROOT and an S3-compatible
store (moto's server mode on loopback, reached over HTTP by django-storages/boto3). Upload,
versions, restoring, streamed downloads, emptying the trash and ``check_document_files``."""

import datetime
import os
import subprocess
import sys

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import Document, DocumentVersion

from .conftest import PDF, make_document, pdf

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_upload_versions_restore_and_download_through_the_store(org, client, backend):
    client.force_login(org.owner)
    document = make_document(org.owner)
    first = document.current_version.file.name
    assert backend() == [first]
    url = reverse("documents:upload", args=[document.pk])
    assert client.post(url, {"file": pdf("v2.pdf", b"% masodik\n")}).status_code == 302
    response = client.post(reverse("documents:restore-version", args=[document.pk, 1]))
    assert response.status_code == 302
    names = list(DocumentVersion.objects.order_by("number").values_list("file", flat=True))
    assert len(names) == 3 and sorted(names) == backend()
    # every version downloads its own bytes, streamed, as an attachment
    for number, expected in [(1, PDF), (2, PDF + b"% masodik\n"), (3, PDF)]:
        response = client.get(reverse("documents:download-version", args=[document.pk, number]))
        assert response.status_code == 200 and response.streaming
        assert body(response) == expected
        assert response["Content-Length"] == str(len(expected))
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_large_file_is_stored_in_parts_and_comes_back_whole(org, client, backend):
    """20 MB: S3 stores it as a multipart upload (8 MB parts), the download streams it."""
    payload = PDF + os.urandom(20 * 1024 * 1024)
    document = make_document(org.owner, file=pdf("nagy.pdf", payload[len(PDF) :]))
    assert document.current_version.size == len(payload)
    client.force_login(org.owner)
    response = client.get(reverse("documents:download", args=[document.pk]))
    chunks = list(response.streaming_content)
    assert len(chunks) > 1 and b"".join(chunks) == payload


def test_emptying_the_trash_deletes_the_files_from_the_store(org, backend):
    kept = make_document(org.owner, title="Marad")
    gone = make_document(org.owner, title="Megy")
    services.version_add(document=gone, uploaded=pdf("v2.pdf", b"% 2\n"), user=org.owner)
    services.document_delete(document=gone, user=org.owner)
    assert len(backend()) == 3
    later = timezone.now() + datetime.timedelta(days=31)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.trash_empty(days=30, now=later) == 1
    assert backend() == [kept.current_version.file.name]
    assert not Document.objects.filter(pk=gone.pk).exists()


def test_check_document_files_names_a_version_whose_file_is_gone(org, backend, capsys):
    document = make_document(org.owner)
    call_command("check_document_files")
    assert "Every document version has its file." in capsys.readouterr().out
    name = document.current_version.file.name
    default_storage.delete(name)
    with pytest.raises(CommandError, match="1 stored file"):
        call_command("check_document_files")
    assert f"document {document.pk} version 1" in capsys.readouterr().out


def test_the_settings_build_the_s3_store_from_the_environment(moto_server, tmp_path):
    """FILE_STORAGE=s3 and the S3_* variables (crm/settings.py) give a working store: a
    process started with them writes a file that the S3 server then holds."""
    bucket = moto_server.new_bucket()
    secret = tmp_path / "secret"
    secret.write_text(moto_server.SECRET_KEY + "\n")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "true",
        "SECRET_KEY": "storage-settings-test-" + "x" * 50,
        "FILE_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": moto_server.url,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": moto_server.ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY_FILE": str(secret),
        "S3_PREFIX": "crm/",
    }
    script = (
        "import django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import default_storage as s\n"
        "print(type(s._wrapped if hasattr(s, '_wrapped') else s).__name__)\n"
        "print(s.save('documents/proba.txt', ContentFile(b'Arvizturo')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "documents/proba.txt" in result.stdout
    assert moto_server.keys(bucket) == ["crm/documents/proba.txt"]
    wrong = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "FILE_STORAGE": "ftp"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode != 0 and "FILE_STORAGE='ftp'" in wrong.stderr


def test_check_document_files_lists_and_deletes_files_no_version_names(org, backend, capsys):
    from django.core.files.base import ContentFile

    kept = make_document(org.owner)
    company = org.owner.current_company_id
    stray = default_storage.save(f"documents/{company}/2025/01/maradek.pdf", ContentFile(PDF))
    call_command("check_document_files")  # without --orphans: only missing files matter
    with pytest.raises(CommandError, match="1 stored file.*no version names"):
        call_command("check_document_files", "--orphans")
    assert f"no version names it: {stray}" in capsys.readouterr().out
    call_command("check_document_files", "--delete-orphans")  # younger than an hour: kept
    assert sorted(backend()) == sorted([kept.current_version.file.name, stray])
    call_command("check_document_files", "--delete-orphans", "--older-than", "0")
    assert backend() == [kept.current_version.file.name]
