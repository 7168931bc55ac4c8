"""Folder management and a document's links in the browser, on a desktop and a phone: a
sales manager who manages the contracts folder adds a subfolder from the document list,
gives the sales reps write on it, then links a filed contract to a partner."""

import shutil

import pytest
from django.contrib.auth.models import Group

from crm.groups import DEFAULT_GROUPS, ensure_default_groups
from documents.models import Folder, FolderGrant, Level
from tests.access import build_org
from tests.documents.conftest import make_document
from tests.partners.conftest import make_partner

from .conftest import log_in, screenshot, sized_page

PASSWORD = "jelszo-Teszt-2026"


@pytest.fixture
def org(transactional_db):
    ensure_default_groups()
    return build_org()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize(("label", "size"), [("desktop", (1280, 800)), ("phone", (390, 844))])
def test_a_manager_adds_a_subfolder_grants_it_and_links_a_contract(
    browser, live_server, org, label, size
):
    root = Folder.objects.create(company=org.company, name="Szerződések")
    FolderGrant.objects.create(folder=root, user=org.supervisor, level=Level.MANAGE)
    reps = Group.objects.get(name=DEFAULT_GROUPS["sales_rep"])
    partner = make_partner(org.supervisor, name="Dél-Alföldi Gépészeti Kft.")
    document = make_document(org.supervisor, title="Keretszerződés 2026", folder=root)

    page = sized_page(browser, live_server, size)
    log_in(page, "supervisor", PASSWORD)
    page.wait_for_url("**/")
    page.goto("/documents/")
    page.get_by_test_id("manage-folders").click()
    page.get_by_test_id("managed-folders").wait_for()
    path = screenshot(page, f"documents-folders-{label}")
    shutil.copy(path, f"/tmp/dstore-folders-{label}.png")
    page.get_by_test_id("managed-folders").get_by_text("Szerződések").click()
    page.get_by_test_id("create-form").locator("[name=sub-name]").fill("2026 Budapest")
    page.get_by_test_id("create-form").locator("button").click()
    page.get_by_test_id("folder-name").filter(has_text="2026 Budapest").wait_for()
    child = Folder.objects.get(name="2026 Budapest")
    assert child.parent == root
    grant = page.get_by_test_id("grant-form")
    grant.locator("[name=principal]").select_option(f"g{reps.pk}")
    grant.locator("[name=level]").select_option(str(Level.WRITE))
    grant.locator("button").click()
    page.get_by_test_id("grants").get_by_text(reps.name).wait_for()
    assert FolderGrant.objects.get(folder=child, group=reps).level == Level.WRITE
    path = screenshot(page, f"documents-folder-manage-{label}")
    shutil.copy(path, f"/tmp/dstore-folder-manage-{label}.png")
    assert not page.errors

    page.goto(f"/documents/{document.pk}/")
    page.get_by_test_id("change-links").click()
    search = page.get_by_test_id("link-search")
    search.locator("[name=kind]").select_option("partner")
    search.locator("[name=q]").fill("alföldi")
    search.locator("button").click()
    page.get_by_test_id(f"link-partner-{partner.pk}").click()
    page.get_by_test_id("current-links").get_by_text(partner.name).wait_for()
    path = screenshot(page, f"documents-links-{label}")
    shutil.copy(path, f"/tmp/dstore-links-{label}.png")
    assert not page.errors
    page.context.close()
