"""Folder management in the app: who reaches the pages (manage level: yes; read level: 403;
not seen: 404), subfolders, renaming, moving within what one manages, and grants to groups
and users of the company, without locking oneself out."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.groups import DEFAULT_GROUPS
from documents.models import Document, Folder, FolderGrant, Level
from tests.access import check_access

from .conftest import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(org):
    """Szerződések > 2026 > Budapest; the supervisor manages Szerződések, the peer reads it,
    and Árlisták is a folder of the company the supervisor does not manage."""
    root = Folder.objects.create(company=org.company, name="Szerződések")
    year = Folder.objects.create(company=org.company, name="2026", parent=root)
    city = Folder.objects.create(company=org.company, name="Budapest", parent=year)
    other = Folder.objects.create(company=org.company, name="Árlisták")
    FolderGrant.objects.create(folder=root, user=org.supervisor, level=Level.MANAGE)
    FolderGrant.objects.create(folder=root, user=org.peer, level=Level.READ)
    return root, year, city, other


def manage(client, folder, **data):
    return client.post(reverse("documents:folder-manage", args=[folder.pk]), data, follow=True)


def test_who_reaches_a_folders_page(org, client, tree):
    root, year, _city, _other = tree
    outcome = check_access(
        client,
        org,
        reverse("documents:folder-manage", args=[year.pk]),
        allowed={"supervisor", "superuser"},
        denied_status=(403, 404),
    )
    assert outcome["peer"] == 403  # sees the folder (read), does not manage it
    assert outcome["owner"] == outcome["other_company_user"] == outcome["outsider"] == 404
    check_access(
        client,
        org,
        reverse("documents:folders"),
        allowed={"supervisor", "superuser"},
        denied_status=(403,),
    )


def test_a_refused_user_changes_nothing(org, client, tree):
    root, *_ = tree
    for persona in ("peer", "owner", "other_company_user"):
        client.force_login(org.users[persona])
        response = client.post(
            reverse("documents:folder-manage", args=[root.pk]), {"action": "rename", "name": "X"}
        )
        assert response.status_code in (403, 404)
        response = client.post(
            reverse("documents:folder-manage", args=[root.pk]),
            {"action": "grant", "principal": f"u{org.users[persona].pk}", "level": Level.MANAGE},
        )
        assert response.status_code in (403, 404)
    root.refresh_from_db()
    assert root.name == "Szerződések"
    assert not FolderGrant.objects.filter(level=Level.MANAGE).exclude(user=org.supervisor)


def test_the_list_shows_the_managed_folders_and_the_document_list_links_it(org, client, tree):
    client.force_login(org.supervisor)
    page = client.get(reverse("documents:folders")).content.decode()
    assert "Szerződések" in page and "Budapest" in page and "Árlisták" not in page
    assert 'data-testid="manage-folders"' in client.get(reverse("documents:list")).content.decode()
    client.force_login(org.peer)
    assert (
        'data-testid="manage-folders"' not in client.get(reverse("documents:list")).content.decode()
    )


def test_subfolder_rename_and_a_name_taken(org, client, tree):
    root, year, _city, _other = tree
    client.force_login(org.supervisor)
    page = manage(client, year, action="create", **{"sub-name": "  Debrecen "})
    debrecen = Folder.objects.get(name="Debrecen")
    assert debrecen.parent == year and debrecen.company == org.company
    assert "Debrecen" in page.content.decode()
    page = manage(client, debrecen, action="rename", name="Budapest")
    assert "Már van „Budapest” nevű mappa ott." in page.content.decode()
    page = manage(client, debrecen, action="rename", name="Debrecen és Nyíregyháza")
    debrecen.refresh_from_db()
    assert debrecen.name == "Debrecen és Nyíregyháza"
    page = manage(client, year, action="rename", name="a/b")
    assert page.status_code == 200
    year.refresh_from_db()
    assert year.name == "2026"


def test_moving_only_within_what_one_manages(org, client, tree):
    root, year, city, other = tree
    client.force_login(org.supervisor)
    # not under a folder they do not manage, not under itself
    for target in (other, city):
        manage(client, year, action="move", parent=target.pk)
        year.refresh_from_db()
        assert year.parent == root
    spring = Folder.objects.create(company=org.company, name="Tavasz", parent=root)
    manage(client, city, action="move", parent=spring.pk)
    city.refresh_from_db()
    assert city.parent == spring
    # a folder they manage by its own grant goes under another they manage, grant and all
    FolderGrant.objects.create(folder=other, user=org.supervisor, level=Level.MANAGE)
    page = manage(client, root, action="move", parent=other.pk)
    root.refresh_from_db()
    assert root.parent == other and page.status_code == 200
    assert FolderGrant.objects.get(folder=root, user=org.supervisor).level == Level.MANAGE


def test_grants_to_a_group_and_a_user_and_revoking(org, client, tree):
    root, year, city, _other = tree
    document = make_document(org.boss, folder=city)
    reps = Group.objects.get(name=DEFAULT_GROUPS["sales_rep"])
    client.force_login(org.supervisor)
    manage(client, year, action="grant", principal=f"g{reps.pk}", level=Level.WRITE)
    assert Document.objects.editable_by(org.owner).filter(pk=document.pk).exists()
    page = client.get(reverse("documents:folder-manage", args=[city.pk])).content.decode()
    assert "Értékesítő" in page and "„2026” mappától" in page  # inherited, shown below
    # a second grant to the same group replaces the first
    manage(client, year, action="grant", principal=f"g{reps.pk}", level=Level.READ)
    assert FolderGrant.objects.filter(folder=year, group=reps).get().level == Level.READ
    assert not Document.objects.editable_by(org.owner).filter(pk=document.pk).exists()
    # a user of another company cannot be chosen
    page = manage(
        client, year, action="grant", principal=f"u{org.other_company_user.pk}", level=Level.READ
    )
    assert not FolderGrant.objects.filter(user=org.other_company_user).exists()
    grant = FolderGrant.objects.get(folder=year, group=reps)
    manage(client, year, action="revoke", grant=grant.pk)
    assert not FolderGrant.objects.filter(pk=grant.pk).exists()
    assert not Document.objects.visible_to(org.owner).filter(pk=document.pk).exists()


def test_nobody_locks_themselves_out(org, client, tree):
    root, *_ = tree
    own = FolderGrant.objects.get(folder=root, user=org.supervisor)
    client.force_login(org.supervisor)
    page = manage(client, root, action="revoke", grant=own.pk).content.decode()
    assert "Ez a jog adja" in page
    page = manage(
        client, root, action="grant", principal=f"u{org.supervisor.pk}", level=Level.READ
    ).content.decode()
    assert "Így már nem kezelné ezt a mappát." in page
    assert FolderGrant.objects.get(pk=own.pk).level == Level.MANAGE


def test_the_pages_cost_the_same_queries_for_1_and_30_rows(org, client, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    root, year, _city, _other = tree
    client.force_login(org.supervisor)
    urls = [reverse("documents:folders"), reverse("documents:folder-manage", args=[year.pk])]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    counts()  # the first request fills the worker's caches (user, top bar)
    before = counts()
    users = [org.owner, org.peer, org.boss, org.second_supervisor]
    for n in range(30):
        child = Folder.objects.create(company=org.company, name=f"Almappa {n:02}", parent=year)
        FolderGrant.objects.create(folder=year, user=users[n % 4], level=Level.READ)
        FolderGrant.objects.create(folder=child, user=org.owner, level=Level.WRITE)
    assert counts() == before
