"""The trash: deleting hides, an admin restores, the beat task empties it with the files."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import Action, Document, DocumentEvent
from tests.access import member
from tests.factories import UserFactory

from .conftest import make_document, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(org):
    return member(UserFactory(username="admin.anna"), org.company, "administrator")


def test_delete_to_the_trash_and_an_admin_restores(org, client, admin_user):
    document = make_document(org.owner)
    client.force_login(org.supervisor)  # a manager may delete
    assert client.post(reverse("documents:delete", args=[document.pk])).status_code == 302
    assert not Document.objects.visible_to(org.owner).filter(pk=document.pk).exists()
    client.force_login(org.owner)
    assert client.get(reverse("documents:trash")).status_code == 403
    assert client.get(reverse("documents:detail", args=[document.pk])).status_code == 404
    client.force_login(admin_user)
    page = client.get(reverse("documents:trash")).content.decode()
    assert document.title in page
    assert client.post(reverse("documents:undelete", args=[document.pk])).status_code == 302
    assert Document.objects.visible_to(org.owner).filter(pk=document.pk).exists()
    actions = set(DocumentEvent.objects.values_list("action", flat=True))
    assert {Action.DELETE, Action.UNDELETE} <= actions


def test_a_rep_may_not_delete(org, client):
    document = make_document(org.owner)
    client.force_login(org.owner)
    assert client.post(reverse("documents:delete", args=[document.pk])).status_code == 403
    document.refresh_from_db()
    assert document.deleted_at is None


def test_the_trash_is_emptied_after_the_retention_with_the_files(
    org, media, settings, eager, django_capture_on_commit_callbacks
):
    from documents.tasks import empty_trash

    settings.DOCUMENTS_TRASH_DAYS = 30
    old = make_document(org.owner, title="Régi")
    recent = make_document(org.owner, title="Friss", file=None)
    services.document_delete(document=old, user=org.supervisor)
    services.document_delete(document=recent, user=org.supervisor)
    Document.objects.filter(pk=old.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=31)
    )
    old_file = media / old.current_version.file.name
    assert old_file.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert empty_trash.delay().get() == 1
    assert not Document.objects.filter(pk=old.pk).exists()
    assert Document.objects.filter(pk=recent.pk).exists()
    assert not old_file.exists()
    assert stored_files(media) == [media / recent.current_version.file.name]
    # the audit outlives it
    assert DocumentEvent.objects.filter(document_id=old.pk, action=Action.DELETE).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert empty_trash.delay().get() == 0


def test_the_check_command_reports_a_missing_file(org, media):
    from django.core.management import CommandError, call_command

    document = make_document(org.owner)
    call_command("check_document_files")
    (media / document.current_version.file.name).unlink()
    with pytest.raises(CommandError, match="1 stored file"):
        call_command("check_document_files")
