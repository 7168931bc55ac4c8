"""The outbox in the browser: the list, the htmx filter, a message's delivery log."""

import pytest
from django.core.management import call_command

from crm.demo import DEMO_PASSWORD, FIRST
from crm.messaging import services
from crm.messaging.models import Message, Status
from crm.models import Company, User

from .conftest import log_in, screenshot


@pytest.fixture
def outbox(db):
    call_command("load_demo")
    anna = User.objects.get(username="kovacs.anna")
    company = Company.objects.get(name=FIRST)
    made = []
    for n, (address, subject) in enumerate(
        [
            ("beszerzes@minta.hu", "Árajánlat – 2026/118"),
            ("penzugy@minta.hu", "Számla emlékeztető"),
            ("rossz.cim@minta.hu", "Rendezvény meghívó"),
        ]
    ):
        made.append(
            services.message_queue(
                channel="email",
                recipient=address,
                company=company,
                created_by=anna,
                subject=subject,
                text="Tisztelt Partnerünk!",
                html="<p>Tisztelt Partnerünk!</p>",
                idempotency_key=f"browser-{n}",
            )
        )
    Message.objects.filter(pk=made[2].pk).update(
        status=Status.FAILED, last_error="550 5.1.1 No such user"
    )
    return made


def test_the_outbox_page_filters_without_reloading(page, outbox):
    log_in(page, "nagy.peter", DEMO_PASSWORD)
    page.wait_for_url("**/")
    # a less used entry: in the bar if it fits, else folded into "Továbbiak" (More)
    if not page.locator("[data-crm-fold=outbox]").is_visible():
        page.get_by_test_id("more-menu").locator(".dropdown-toggle").click()
    page.locator("nav.crm-topbar").get_by_role("link", name="Kimenő üzenetek").click()
    page.wait_for_url("**/messages/")
    rows = page.get_by_test_id("outbox").locator("tbody tr")
    assert rows.count() == 3
    screenshot(page, "outbox")
    page.select_option("#f-status", "failed")
    rows.nth(1).wait_for(state="detached")  # htmx swapped in the filtered rows
    assert "status=failed" in page.url
    page.get_by_role("link", name="Rendezvény meghívó").click()
    assert "550 5.1.1 No such user" in page.get_by_test_id("last-error").inner_text()
    assert page.console_errors == []
    screenshot(page, "message-detail")


def test_the_unsubscribe_page_for_a_guest(page, outbox):
    message = outbox[0]
    Message.objects.filter(pk=message.pk).update(marketing=True)
    page.goto(f"/messages/u/{message.token}/")
    assert "beszerzes@minta.hu" in page.locator("main").inner_text()
    screenshot(page, "unsubscribe")
    page.get_by_role("button", name="Leiratkozás").click()
    assert "nem küldünk több marketingüzenetet" in page.get_by_test_id("unsubscribed").inner_text()


def test_the_history_of_a_user(page, outbox):
    anna = User.objects.get(username="kovacs.anna")
    anna.first_name = "Annamária"
    anna.save()
    log_in(page, "admin", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/history/crm.User/{anna.pk}/")
    table = page.get_by_test_id("history").inner_text()
    assert "Anna" in table and "Annamária" in table
    assert "Aktív: igen" in table and "True" not in table
    screenshot(page, "history")
