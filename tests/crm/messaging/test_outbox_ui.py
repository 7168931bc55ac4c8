"""The outbox pages: who sees which message, filters, constant queries, resend, the record
panel, the template preview."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.messaging import services
from crm.messaging.models import Message, MessageTemplate, Status
from tests.access import build_org, check_access
from tests.factories import MemoFactory

pytestmark = pytest.mark.django_db

SEE = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


@pytest.fixture
def org():
    org = build_org("scoping_app.view_memo")
    return org


def queue_about(record, *, n=1, **kwargs):
    messages = []
    for i in range(n):
        messages.append(
            services.message_queue(
                channel="email",
                recipient=f"vevo{i}@pelda.hu",
                company=record.company,
                created_by=record.owner,
                about=record,
                subject=f"Ajánlat {record.pk}/{i}",
                text="x",
                idempotency_key=f"{record.pk}-{i}-{kwargs.get('key', '')}",
            )
        )
    return messages


def test_the_message_detail_matrix(client, org):
    memo = MemoFactory(owner=org.owner)
    message = queue_about(memo)[0]
    assert message.owner == org.owner  # the record's owner owns its messages
    check_access(client, org, reverse("messaging:detail", args=[message.pk]), allowed=SEE)


def test_the_outbox_lists_only_visible_messages(client, org):
    mine = queue_about(MemoFactory(owner=org.owner, title="Olgáé"))[0]
    peers = queue_about(MemoFactory(owner=org.peer, title="Péteré"), key="p")[0]
    client.force_login(org.supervisor)
    html = client.get(reverse("messaging:outbox")).content.decode()
    assert mine.subject in html and peers.subject in html
    client.force_login(org.owner)
    html = client.get(reverse("messaging:outbox")).content.decode()
    assert mine.subject in html and peers.subject not in html
    client.force_login(org.other_company_user)
    html = client.get(reverse("messaging:outbox")).content.decode()
    assert mine.subject not in html


def test_outbox_filters_and_htmx_fragment(client, org):
    memo = MemoFactory(owner=org.owner)
    sent, failed = queue_about(memo, n=2)
    Message.objects.filter(pk=failed.pk).update(status=Status.FAILED, last_error="550 nincs")
    client.force_login(org.owner)
    html = client.get(reverse("messaging:outbox"), {"status": "failed"}).content.decode()
    assert failed.subject in html and sent.subject not in html
    fragment = client.get(
        reverse("messaging:outbox"), {"status": "queued"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in fragment and sent.subject in fragment
    about = f"scoping_app.memo.{memo.pk}"
    html = client.get(reverse("messaging:outbox"), {"about": about}).content.decode()
    assert sent.subject in html


def test_the_outbox_issues_the_same_queries_for_1_and_50_messages(client, org):
    memo = MemoFactory(owner=org.owner)
    queue_about(memo, n=1, key="a")
    client.force_login(org.boss)
    client.get(reverse("messaging:outbox"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("messaging:outbox"))
    queue_about(memo, n=49, key="b")
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse("messaging:outbox"))
    assert response.content.decode().count('data-status="') == 50
    assert len(one) == len(fifty)


def test_resend_from_the_page(client, org, smtp_server):
    memo = MemoFactory(owner=org.owner)
    message = queue_about(memo)[0]
    smtp_server.refuse_with = "550 5.1.1 No such user"
    services.deliver()
    client.force_login(org.owner)
    response = client.post(reverse("messaging:resend", args=[message.pk]), follow=True)
    assert "Ön nem küldhet újra üzeneteket" in response.content.decode()
    org.owner.user_permissions.add(Permission.objects.get(codename="resend_message"))
    response = client.post(reverse("messaging:resend", args=[message.pk]), follow=True)
    assert "Az üzenet újra sorba került" in response.content.decode()
    client.force_login(org.peer)
    assert client.post(reverse("messaging:resend", args=[message.pk])).status_code == 404


def test_the_record_messages_panel(org):
    memo = MemoFactory(owner=org.owner)
    queue_about(memo, n=12)
    request = RequestFactory().get("/")
    request.user = org.owner
    html = Template("{% load messaging %}{% record_messages memo %}").render(
        Context({"request": request, "memo": memo})
    )
    assert html.count('data-status="queued"') == 10
    assert f"?about=scoping_app.memo.{memo.pk}" in html
    request.user = org.peer
    html = Template("{% load messaging %}{% record_messages memo %}").render(
        Context({"request": request, "memo": memo})
    )
    assert 'data-status="' not in html


def test_the_template_preview_in_the_admin(admin_client):
    template = MessageTemplate.objects.create(
        key="koszonto",
        language="hu",
        subject="Üdv, {{ contact.name }}!",
        body_html="<p>Kedves {{ contact.first_name }}!</p><script>x</script>",
        body_text="Szia",
    )
    html = admin_client.get(reverse("admin:crm_messagetemplate_change", args=[template.pk]))
    html = html.content.decode()
    assert "Üdv, Minta Márta!" in html and "Kedves Márta!" in html
    assert "<script>x</script>" not in html


def test_a_template_with_an_error_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:crm_messagetemplate_add"),
        {
            "key": "hibas",
            "language": "hu",
            "channel": "email",
            "subject": "x",
            "body_html": "<p>\n{% for %}</p>",
            "body_text": "",
        },
    )
    assert response.status_code == 200
    assert "2. sorban" in response.content.decode()
    assert not MessageTemplate.objects.filter(key="hibas").exists()


def test_bad_filters_are_a_message_not_an_error(client, org):
    queue_about(MemoFactory(owner=org.owner))
    client.force_login(org.owner)
    response = client.get(
        reverse("messaging:outbox"), {"day_from": "2026-13-45", "status": "nincs", "after": "x"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="filter-errors"' in html and "Ettől" in html
    assert 'data-status="' in html  # the list itself still shows, unfiltered


def test_the_date_filter(client, org):
    message = queue_about(MemoFactory(owner=org.owner))[0]
    client.force_login(org.owner)
    today = message.created_at.date().isoformat()
    html = client.get(reverse("messaging:outbox"), {"day_from": today}).content.decode()
    assert message.subject in html
    html = client.get(reverse("messaging:outbox"), {"day_to": "2020-01-01"}).content.decode()
    assert message.subject not in html
