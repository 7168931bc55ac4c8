"""Subscriptions (issue 24, item 5): mails through the outbox to a real SMTP server on
loopback, at once or in a daily digest, sent once, never about a document the subscriber does
not see at send time, never to the one who made the change; the pages as every persona."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm.messaging.services import deliver
from documents import services
from documents.models import Folder, FolderGrant, Level
from documents.subscriptions import (
    DIGEST_LOCK,
    Mode,
    Notice,
    Subscription,
    digest_send,
    notices_send,
    subscribe,
)
from tests.access import check_access

from .conftest import make_document, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def contracts(org):
    """A "Szerződések" folder with a "2026" folder below it; the peer may read both."""
    root = Folder.objects.create(company=org.company, name="Szerződések")
    year = Folder.objects.create(company=org.company, name="2026", parent=root)
    FolderGrant.objects.create(folder=root, user=org.peer, level=Level.READ)
    return root, year


def mails(smtp_server) -> list:
    deliver()
    return smtp_server.parsed()


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_a_new_version_mails_the_folder_subscriber_at_once_and_only_once(
    org, contracts, smtp_server
):
    root, year = contracts
    subscribe(user=org.peer, mode=Mode.IMMEDIATE, folder=root)  # the folder above it
    subscribe(user=org.owner, mode=Mode.IMMEDIATE, folder=root)  # the one who acts
    document = make_document(org.owner, title="Keretszerződés – Alföld Kft.", folder=year)
    assert notices_send() == 1  # the new file
    services.version_add(document=document, uploaded=pdf("v2.pdf", b"% 2\n"), user=org.owner)
    assert notices_send() == 1
    assert notices_send() == 0  # nothing left: a second run sends nothing

    received = mails(smtp_server)
    assert [m["To"] for m in received] == ["peer@example.hu", "peer@example.hu"]
    assert received[0]["Subject"] == "Új dokumentum: Keretszerződés – Alföld Kft."
    assert received[1]["Subject"] == "Új változat (2): Keretszerződés – Alföld Kft."
    body = text_of(received[1])
    assert "Tulaj Olga" in body  # who uploaded it
    assert f"/documents/{document.pk}/" in body
    assert len(mails(smtp_server)) == 2  # no second delivery


def test_a_deletion_is_told_to_the_document_subscriber(org, smtp_server):
    document = make_document(org.owner, title="Árajánlat 2026/14")
    subscribe(user=org.supervisor, mode=Mode.IMMEDIATE, document=document)
    services.document_delete(document=document, user=org.owner)
    notices_send()
    (mail,) = mails(smtp_server)
    assert mail["To"] == "supervisor@example.hu"
    assert mail["Subject"] == "Dokumentum törölve: Árajánlat 2026/14"


def test_the_daily_digest_gathers_the_changes_in_one_mail_sent_once(org, contracts, smtp_server):
    root, year = contracts
    subscribe(user=org.peer, mode=Mode.DAILY, folder=root)
    first = make_document(org.owner, title="Szállítási szerződés", folder=year)
    second = make_document(org.boss, title="Bérleti szerződés", folder=root)
    services.version_add(document=first, uploaded=pdf("v2.pdf", b"% 2\n"), user=org.owner)
    services.document_delete(document=second, user=org.boss)
    assert notices_send() == 0  # daily ones wait for the digest

    assert digest_send() == 1
    assert digest_send() == 0
    (mail,) = mails(smtp_server)
    assert mail["To"] == "peer@example.hu"
    assert mail["Subject"] == "Dokumentumok: ma 4 változás"
    body = text_of(mail)
    assert body.count("Szállítási szerződés") == 2 and body.count("Bérleti szerződés") == 2
    assert not Notice.objects.filter(done_at__isnull=True).exists()
    # a month later the notices done with are deleted by the digest run
    Notice.objects.update(done_at=timezone.now() - datetime.timedelta(days=31))
    digest_send()
    assert not Notice.objects.exists()


def test_documents_out_of_sight_at_send_time_are_not_mentioned(org, contracts, smtp_server):
    root, year = contracts
    subscribe(user=org.peer, mode=Mode.DAILY, folder=root)
    make_document(org.owner, title="Látható szerződés", folder=year)
    make_document(org.owner, title="Titkos szerződés", folder=root)
    # Before the digest the peer's read moves from the whole folder to "2026" only.
    FolderGrant.objects.filter(user=org.peer).update(folder=year)
    digest_send()
    (mail,) = mails(smtp_server)
    assert "Látható szerződés" in text_of(mail) and "Titkos" not in text_of(mail)
    assert "Titkos" not in mail.get_body(("html",)).get_content()

    # Nothing in sight at all: no mail, and the notice is done with.
    hidden = make_document(org.owner, title="Másik titkos", folder=root)
    subscribe(user=org.peer, mode=Mode.IMMEDIATE, folder=root)
    services.version_add(document=hidden, uploaded=pdf("v2.pdf", b"% 3\n"), user=org.owner)
    assert notices_send() == 0
    assert len(mails(smtp_server)) == 1
    assert not Notice.objects.filter(mode=Mode.IMMEDIATE, done_at__isnull=True).exists()


def test_a_digest_running_elsewhere_holds_this_one_back(org, contracts):
    root, year = contracts
    subscribe(user=org.peer, mode=Mode.DAILY, folder=root)
    make_document(org.owner, folder=year)
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [DIGEST_LOCK])
        assert digest_send() == 0
        assert Notice.objects.filter(done_at__isnull=True).count() == 1
        other.execute("SELECT pg_advisory_unlock(%s)", [DIGEST_LOCK])
    assert digest_send() == 1


def test_a_rolled_back_change_leaves_no_notice(org, contracts):
    from django.db import transaction

    root, year = contracts
    subscribe(user=org.peer, mode=Mode.IMMEDIATE, folder=root)
    document = make_document(org.owner, folder=year)
    Notice.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.document_delete(document=document, user=org.owner)
        assert Notice.objects.count() == 1
        raise RuntimeError
    assert Notice.objects.count() == 0


# ----------------------------------------------------------------------------- the pages


def test_subscribing_from_the_document_page_and_folder_list(org, contracts, client):
    root, _year = contracts
    document = make_document(org.owner, title="Keretszerződés", folder=root)
    client.force_login(org.peer)
    page = client.get(document.get_absolute_url()).content.decode()
    assert 'data-testid="subscribe"' in page
    client.post(reverse("documents:subscribe"), {"document": document.pk, "mode": "daily"})
    subscription = Subscription.objects.get(user=org.peer, document=document)
    assert subscription.mode == Mode.DAILY
    page = client.get(document.get_absolute_url()).content.decode()
    assert 'data-testid="subscribed"' in page and "napi összefoglaló" in page

    folder_page = reverse("documents:list") + f"?folder={root.pk}"
    assert 'data-testid="subscribe"' in client.get(folder_page).content.decode()
    response = client.post(
        reverse("documents:subscribe"),
        {"folder": root.pk, "mode": "immediate", "next": folder_page},
    )
    assert response["Location"] == folder_page
    listed = client.get(reverse("documents:subscriptions")).content.decode()
    assert "Keretszerződés" in listed and "Szerződések" in listed

    bad = client.post(reverse("documents:subscribe"), {"folder": root.pk, "mode": "hourly"})
    assert bad.status_code == 302  # a clear message, nothing changed
    assert Subscription.objects.get(user=org.peer, folder=root).mode == Mode.IMMEDIATE


def test_only_those_who_see_a_document_or_folder_may_subscribe(org, contracts, client):
    root, _year = contracts
    secret = Folder.objects.create(company=org.company, name="Vezetői")
    FolderGrant.objects.create(folder=secret, user=org.supervisor, level=Level.READ)
    document = make_document(org.owner, title="Keretszerződés")
    check_access(
        client,
        org,
        reverse("documents:subscribe"),
        method="post",
        data={"document": document.pk, "mode": "immediate"},
        allowed={"owner", "supervisor", "second_supervisor", "boss", "superuser"},
    )
    check_access(
        client,
        org,
        reverse("documents:subscribe"),
        method="post",
        data={"folder": secret.pk, "mode": "immediate"},
        allowed={"supervisor", "superuser"},  # granted read; the admin sees every folder
    )
    assert not Subscription.objects.filter(user__in=[org.peer, org.outsider]).exists()


def test_a_subscription_is_listed_and_removed_by_its_owner_only(org, contracts, client):
    root, _year = contracts
    mine = subscribe(user=org.peer, mode=Mode.IMMEDIATE, folder=root)
    client.force_login(org.owner)
    assert "Szerződések" not in client.get(reverse("documents:subscriptions")).content.decode()
    assert client.post(reverse("documents:unsubscribe", args=[mine.pk])).status_code == 404
    client.force_login(org.peer)
    assert "Szerződések" in client.get(reverse("documents:subscriptions")).content.decode()
    client.post(reverse("documents:unsubscribe", args=[mine.pk]))
    assert not Subscription.objects.filter(pk=mine.pk).exists()


def test_the_demo_has_a_digest_and_an_immediate_subscription(db, media):
    from django.core.management import call_command

    call_command("load_demo")
    call_command("load_demo")  # once only
    rows = Subscription.objects.values_list("user__username", "folder__name", "mode")
    assert sorted(rows) == [
        ("kovacs.anna", "Árlisták és termékismertetők", "immediate"),
        ("nagy.peter", "Szerződések", "daily"),
    ]
    from crm.models import User
    from documents.collateral import collateral_search

    anna = User.objects.get(username="kovacs.anna")
    titles = {d.title for d in collateral_search(anna)}
    assert {"Árlista 2026", "Referencialista 2026"} <= titles
    assert {d.title for d in collateral_search(anna, "fúrógép")} == {
        "Termékismertető – DX-200 akkus fúrógép"
    }
