"""Issue 24's flow in the browser, on a desktop and a phone: a colleague subscribes to the
contracts folder, a salesperson uploads a second version of a contract, and the colleague gets
the mail (Celery runs the tasks in the server's thread; the outbox sends to a real SMTP server on
loopback). Then sales collateral found on a partner page and sent to a contact, the send on the
partner's timeline; and an activity's page with its documents."""

import pytest

from crm.groups import ensure_default_groups
from documents.models import Folder, FolderGrant, Level
from tests.access import build_org
from tests.activities.test_activity_screens import plan
from tests.conftest import wait_for
from tests.documents.conftest import PDF, make_document, pdf
from tests.partners.conftest import make_contact, make_partner

from .conftest import log_in, screenshot, sized_page

PASSWORD = "jelszo-Teszt-2026"
SIZES = [("desktop", (1280, 800)), ("phone", (390, 844))]


@pytest.fixture
def org(transactional_db):
    from django.apps import apps

    from activities.defaults import ensure_defaults

    ensure_default_groups()
    ensure_defaults(apps)  # a transactional test before this one emptied the tables
    return build_org()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize(("label", "size"), SIZES)
def test_a_subscribed_colleague_is_mailed_a_contracts_second_version(
    browser, live_server, org, eager, smtp_server, tmp_path, label, size
):
    contracts = Folder.objects.create(company=org.company, name="Szerződések")
    FolderGrant.objects.create(folder=contracts, user=org.peer, level=Level.READ)
    partner = make_partner(org.owner, name="Dél-Alföldi Gépészeti Kft.")
    contract = make_document(
        org.owner, title="Keretszerződés 2026", folder=contracts, links=[partner]
    )
    meeting = plan(org.owner, partner, "meeting", subject="Szerződés átbeszélése")
    make_document(org.owner, title="Jelenléti ív", links=[meeting], file=pdf("ív.pdf", b"%i\n"))

    colleague = sized_page(browser, live_server, size)
    log_in(colleague, "peer", PASSWORD)
    colleague.wait_for_url("**/")
    colleague.goto(f"/documents/?folder={contracts.pk}")
    colleague.get_by_test_id("subscribe").click()
    colleague.wait_for_timeout(300)
    screenshot(colleague, f"dsubs-folder-subscribe-{label}")
    colleague.get_by_test_id("subscribe-save").click()
    colleague.get_by_test_id("subscribed").wait_for()
    colleague.goto("/documents/subscriptions/")
    assert "Szerződések" in colleague.get_by_test_id("subscriptions").inner_text()
    screenshot(colleague, f"dsubs-subscriptions-{label}")

    rep = sized_page(browser, live_server, size)
    log_in(rep, "owner", PASSWORD)
    rep.wait_for_url("**/")
    rep.goto(contract.get_absolute_url())
    second = tmp_path / "Keretszerződés aláírt.pdf"
    second.write_bytes(PDF + b"% signed\n")
    form = rep.get_by_test_id("new-version")
    form.locator("input[type=file]").set_input_files(str(second))
    form.locator("button[type=submit]").click()
    rep.get_by_test_id("versions").wait_for()
    assert "Keretszerződés aláírt.pdf" in rep.get_by_test_id("versions").inner_text()
    screenshot(rep, f"dsubs-document-{label}")

    wait_for(lambda: smtp_server.messages)
    (mail,) = smtp_server.parsed()
    assert mail["To"] == "peer@example.hu"
    assert mail["Subject"] == "Új változat (2): Keretszerződés 2026"
    assert "Tulaj Olga" in mail.get_body(("plain",)).get_content()

    rep.goto(f"/activities/{meeting.pk}/")
    section = rep.get_by_test_id("section-documents")
    assert "Jelenléti ív" in section.inner_text()
    screenshot(rep, f"dsubs-activity-{label}")
    section.get_by_test_id("attach-document").click()
    rep.wait_for_url("**/documents/new/?activity=*")
    assert "Szerződés átbeszélése" in rep.get_by_test_id("attach-links").inner_text()
    assert not colleague.errors and not rep.errors


@pytest.mark.parametrize(("label", "size"), SIZES)
def test_a_rep_sends_collateral_to_a_contact_from_the_partner_page(
    browser, live_server, org, eager, smtp_server, label, size
):
    library = Folder.objects.create(company=org.company, name="Árlisták", is_collateral=True)
    FolderGrant.objects.create(folder=library, user=org.owner, level=Level.READ)
    make_document(org.boss, title="Árlista 2026", folder=library, tags=["árlista"])
    make_document(
        org.boss,
        title="Termékismertető – DX-200",
        folder=library,
        description="Akkus fúrógép, 18 V",
        file=pdf("DX-200.pdf", b"% lap\n"),
    )
    partner = make_partner(org.owner, name="Dél-Alföldi Gépészeti Kft.")
    make_contact(partner, "Kovács", "Anna", emails=["kovacs.anna@delalfold.hu"])
    make_contact(partner, "Nagy", "Béla")  # no address: offered, but cannot be chosen

    page = sized_page(browser, live_server, size)
    log_in(page, "owner", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/partners/{partner.pk}/?tab=collateral")
    tab = page.get_by_test_id("collateral")
    assert "Árlista 2026" in tab.inner_text()
    screenshot(page, f"dsubs-collateral-{label}")
    tab.locator("#coll-q").fill("fúrógép")
    tab.locator("#coll-q").press("Enter")
    page.wait_for_url("**q=*")
    listed = page.get_by_test_id("collateral-list").inner_text()
    assert "DX-200" in listed and "Árlista" not in listed
    page.get_by_label("Termékismertető – DX-200").check()
    page.locator("#coll-contact").select_option(label="Kovács Anna – kovacs.anna@delalfold.hu")
    page.locator("#coll-note").fill("Ahogy a telefonban kérte, küldöm a fúrógép leírását.")
    screenshot(page, f"dsubs-collateral-picked-{label}")
    page.get_by_test_id("collateral-send-button").click()
    page.wait_for_url("**tab=collateral")
    assert "Elküldve: Kovács Anna" in page.content()
    screenshot(page, f"dsubs-collateral-sent-{label}")

    wait_for(lambda: smtp_server.messages)
    (mail,) = smtp_server.parsed()
    assert mail["To"] == "kovacs.anna@delalfold.hu"
    assert [a.get_filename() for a in mail.iter_attachments()] == ["DX-200.pdf"]
    page.goto(f"/partners/{partner.pk}/?tab=timeline")
    assert "Értékesítési anyag elküldve: Termékismertető – DX-200" in page.content()
    screenshot(page, f"dsubs-timeline-{label}")
    page.goto(f"/documents/?folder={library.pk}")
    page.get_by_test_id("collateral-badge").wait_for()
    screenshot(page, f"dsubs-collateral-folder-{label}")
    assert not page.errors
