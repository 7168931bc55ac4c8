"""Files and rows agree, on both storages: a file written for a transaction that does not
commit goes away, and a storage outage mid-upload (the S3 server cut off, a file system that
refuses a write half-way) is told to the user with nothing half-registered and nothing
stored before lost."""

import datetime
import os
import resource
import signal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from documents import services
from documents.models import Document, DocumentEvent, DocumentVersion

from .conftest import PDF, make_document, pdf

pytestmark = pytest.mark.django_db

UNREACHABLE = "A fájltár most nem érhető el"  # "The file store cannot be reached now"


def upload(client, document, file, **query):
    url = reverse("documents:upload", args=[document.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"file": file}, HTTP_ACCEPT="application/json")


def fresh(owner):
    return services.document_create(
        user=owner, company_id=owner.current_company_id, title="", type="contract"
    )


def test_a_database_failure_after_the_write_removes_the_file(org, backend):
    """The file is stored, then PostgreSQL refuses the audit row (a trigger of this test's
    transaction): the transaction rolls back and the file is deleted from the store."""
    document = fresh(org.owner)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'audit table is read-only'; END $$;"
            " CREATE TRIGGER refuse BEFORE INSERT ON documents_documentevent"
            " FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse();"
        )
    with pytest.raises(DatabaseError, match="read-only"):
        services.version_add(document=document, uploaded=pdf(), user=org.owner)
    assert backend() == []
    document.refresh_from_db()
    assert document.current_version is None and not DocumentVersion.objects.exists()


def test_a_file_of_an_outer_transaction_rolled_back_is_swept(org, backend):
    """A caller's transaction rolls back after the upload's own block ended: the file has no
    row; the sweep of files that no version names deletes it and keeps the others."""
    kept = make_document(org.owner, title="Megmarad")
    document = fresh(org.owner)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.version_add(document=document, uploaded=pdf(), user=org.owner)
        assert len(backend()) == 2
        1 / 0  # noqa: B018
    assert services.orphan_files_sweep() == 0  # an hour of grace for uploads in flight
    assert services.orphan_files_sweep(older_than=datetime.timedelta(0)) == 1
    assert backend() == [kept.current_version.file.name]


def test_s3_cut_off_mid_upload_a_clear_message_and_the_old_version_kept(org, client, relayed_s3):
    server, bucket, relay = relayed_s3
    document = make_document(org.owner)
    first = document.current_version.file.name
    client.force_login(org.owner)
    relay.cut_after(3 * 1024 * 1024)  # the line drops after 3 MB of a 20 MB upload
    response = upload(client, document, pdf("v2.pdf", os.urandom(20 * 1024 * 1024)))
    assert response.status_code == 503
    assert UNREACHABLE in response.json()["error"]
    relay.mend()
    document.refresh_from_db()
    assert document.current_version.number == 1 and document.versions.count() == 1
    assert server.keys(bucket) == [first]  # no half object
    assert not DocumentEvent.objects.filter(document_id=document.pk, action="new_version")
    answer = client.get(reverse("documents:download", args=[document.pk]))
    assert b"".join(answer.streaming_content) == PDF


def test_s3_unreachable_the_first_file_registers_nothing(org, client, relayed_s3):
    server, bucket, relay = relayed_s3
    document = fresh(org.owner)
    client.force_login(org.owner)
    relay.cut()
    response = upload(client, document, pdf("Szerződés.pdf"))
    assert response.status_code == 503 and UNREACHABLE in response.json()["error"]
    document.refresh_from_db()
    assert document.current_version is None and document.title == ""
    # several files dropped at once: the sibling document is not created either
    relay.mend()
    assert upload(client, document, pdf("elso.pdf")).status_code == 200
    relay.cut()
    response = upload(client, document, pdf("masodik.pdf", b"% 2\n"), sibling=1)
    assert response.status_code == 503
    assert Document.objects.count() == 1
    relay.mend()
    assert len(server.keys(bucket)) == 1


def test_s3_unreachable_downloads_and_restores_say_so(org, client, relayed_s3, settings):
    _server, _bucket, relay = relayed_s3
    document = make_document(org.owner)
    services.version_add(document=document, uploaded=pdf("v2.pdf", b"% 2\n"), user=org.owner)
    client.force_login(org.owner)
    relay.cut()
    response = client.get(reverse("documents:download", args=[document.pk]), follow=True)
    assert response.status_code == 200 and UNREACHABLE in response.content.decode()
    response = client.post(reverse("documents:restore-version", args=[document.pk, 1]), follow=True)
    assert UNREACHABLE in response.content.decode()
    assert document.versions.count() == 2
    with pytest.raises(CommandError, match="cannot be reached"):
        call_command("check_document_files")


def test_a_file_system_that_refuses_the_write_registers_nothing(org, client, media):
    document = make_document(org.owner)
    # where the company's folder should be created there is a file: every write fails
    company = media / "documents" / str(document.company_id)
    for path in sorted(company.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    company.rmdir()
    company.write_bytes(b"")
    client.force_login(org.owner)
    response = upload(client, document, pdf("v2.pdf", b"% 2\n"))
    assert response.status_code == 503 and UNREACHABLE in response.json()["error"]
    assert document.versions.count() == 1


def test_a_disk_that_fills_up_mid_write_leaves_no_half_file(org, media):
    """The process may write files of at most 1 MB (RLIMIT_FSIZE, as a full disk would stop
    it): a 4 MB version fails half-way and the half-written file is deleted."""
    document = make_document(org.owner)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, hard))
    try:
        with pytest.raises(services.storage.StorageUnavailable):
            services.version_add(
                document=document, uploaded=pdf("nagy.pdf", b"0" * 4 * 1024 * 1024), user=org.owner
            )
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    files = sorted(p for p in media.rglob("*") if p.is_file())
    assert files == [media / document.current_version.file.name]
    assert document.versions.count() == 1
