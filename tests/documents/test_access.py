"""Who sees a document: folder grants (to a group or a user, inherited down the tree), links
to records the user sees, the owner and their supervisors; never another company, a peer or an
outsider. Every view answers "not yours" with 404."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.groups import DEFAULT_GROUPS
from documents.models import Document, Folder, FolderGrant, Level
from tests.access import check_access

from .conftest import make_document, make_partner, pdf

pytestmark = pytest.mark.django_db

HIERARCHY = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


def visible(user, document) -> bool:
    return Document.objects.visible_to(user).filter(pk=document.pk).exists()


def tree(company):
    root = Folder.objects.create(company=company, name="Szerződések")
    child = Folder.objects.create(company=company, name="2026", parent=root)
    grandchild = Folder.objects.create(company=company, name="Budapest", parent=child)
    return root, child, grandchild


def test_owner_and_their_supervisors_see_it_others_do_not(org):
    document = make_document(org.owner)
    seen = {name for name, user in org.users.items() if visible(user, document)}
    assert seen == HIERARCHY


def test_a_group_grant_on_a_folder_reaches_documents_below_it(org):
    root, child, grandchild = tree(org.company)
    document = make_document(org.boss, folder=grandchild)
    assert not visible(org.peer, document)
    reps = Group.objects.get(name=DEFAULT_GROUPS["sales_rep"])
    FolderGrant.objects.create(folder=root, group=reps, level=Level.READ)
    assert visible(org.peer, document) and visible(org.owner, document)
    assert not visible(org.other_company_user, document)
    assert not visible(org.outsider, document)
    # read is not write
    assert not Document.objects.editable_by(org.peer).filter(pk=document.pk).exists()
    FolderGrant.objects.create(folder=child, user=org.peer, level=Level.WRITE)
    assert Document.objects.editable_by(org.peer).filter(pk=document.pk).exists()
    assert not Document.objects.editable_by(org.owner).filter(pk=document.pk).exists()


def test_a_grant_below_does_not_reach_up(org):
    root, child, grandchild = tree(org.company)
    document = make_document(org.boss, folder=root)
    FolderGrant.objects.create(folder=grandchild, user=org.peer, level=Level.MANAGE)
    assert not visible(org.peer, document)
    assert list(Folder.objects.visible_to(org.peer)) == [grandchild]
    assert list(Folder.objects.writable_by(org.peer)) == [grandchild]


def test_a_user_grant_shows_the_folder_to_that_user_only(org):
    _root, child, _grandchild = tree(org.company)
    document = make_document(org.boss, folder=child)
    FolderGrant.objects.create(folder=child, user=org.peer, level=Level.READ)
    assert visible(org.peer, document)
    assert not visible(org.owner, document)


def test_a_linked_partner_that_the_user_sees_shows_the_document(org):
    partner = make_partner(org.owner)
    document = make_document(org.boss, links=[partner])
    seen = {name for name, user in org.users.items() if visible(user, document)}
    # the owner sees the partner; the boss owns the document; the supervisors see both
    assert seen == HIERARCHY
    make_partner(org.peer, name="Társ Kft.")
    assert not visible(org.peer, document)


def test_a_deleted_document_is_visible_to_nobody(org):
    from documents import services

    document = make_document(org.owner)
    services.document_delete(document=document, user=org.owner)
    assert not any(visible(user, document) for user in org.users.values())


def test_detail_not_yours_is_404(org, client):
    document = make_document(org.owner)
    check_access(client, org, reverse("documents:detail", args=[document.pk]), allowed=HIERARCHY)


@pytest.mark.parametrize(
    ("name", "method", "args"),
    [
        ("documents:files", "get", ()),
        ("documents:download", "get", ()),
        ("documents:download-version", "get", (1,)),
        ("documents:upload", "post", ()),
        ("documents:restore-version", "post", (1,)),
        ("documents:check-out", "post", ()),
        ("documents:check-in", "post", ()),
        ("documents:delete", "post", ()),
    ],
)
def test_every_view_answers_not_yours_with_404(org, client, name, method, args):
    document = make_document(org.owner)
    url = reverse(name, args=[document.pk, *args])
    for persona in ("peer", "other_company_user", "outsider"):
        client.force_login(org.users[persona])
        data = {"file": pdf()} if name == "documents:upload" else {}
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (persona, response.status_code)
    document.refresh_from_db()
    assert document.deleted_at is None and document.checked_out_by is None
    assert document.versions.count() == 1


def test_undelete_is_404_for_those_who_cannot_restore(org, client):
    from documents import services

    document = make_document(org.owner)
    services.document_delete(document=document, user=org.owner)
    for persona in ("owner", "supervisor", "peer", "other_company_user", "outsider"):
        client.force_login(org.users[persona])
        response = client.post(reverse("documents:undelete", args=[document.pk]))
        assert response.status_code == 404, persona
    document.refresh_from_db()
    assert document.deleted_at is not None


def test_the_list_shows_only_visible_documents(org, client):
    mine = make_document(org.owner, title="Tulaj dokumentuma")
    make_document(org.other_company_user, title="Másik cég dokumentuma")
    client.force_login(org.peer)
    response = client.get(reverse("documents:list"))
    assert response.status_code == 200
    assert mine.title not in response.content.decode()
    client.force_login(org.supervisor)
    page = client.get(reverse("documents:list")).content.decode()
    assert mine.title in page and "Másik cég dokumentuma" not in page


def test_attach_prefills_only_a_visible_partner(org, client):
    partner = make_partner(org.owner)
    client.force_login(org.peer)
    page = client.get(reverse("documents:create") + f"?partner={partner.pk}").content.decode()
    assert partner.name not in page
    response = client.post(
        reverse("documents:create"), {"title": "Próba", "type": "offer", "partner": partner.pk}
    )
    assert response.status_code == 200
    assert not Document.objects.filter(title="Próba").exists()
    client.force_login(org.owner)
    page = client.get(reverse("documents:create") + f"?partner={partner.pk}").content.decode()
    assert partner.name in page


def test_only_writable_folders_are_offered(org, client):
    root, child, _grandchild = tree(org.company)
    FolderGrant.objects.create(folder=root, user=org.owner, level=Level.READ)
    FolderGrant.objects.create(folder=child, user=org.owner, level=Level.WRITE)
    client.force_login(org.owner)
    response = client.post(
        reverse("documents:create"), {"title": "Próba", "type": "offer", "folder": root.pk}
    )
    assert response.status_code == 200 and not Document.objects.filter(title="Próba").exists()
    response = client.post(
        reverse("documents:create"), {"title": "Próba", "type": "offer", "folder": child.pk}
    )
    document = Document.objects.get(title="Próba")
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("documents:files", args=[document.pk])
    )


def test_an_activity_link_shows_the_document_to_those_who_see_the_activity(org, client):
    import datetime

    from django.utils import timezone

    from activities.models import Activity, ActivityType
    from activities.services import activity_create

    partner = make_partner(org.owner)
    meeting = activity_create(
        user=org.owner,
        activity=Activity(
            type=ActivityType.objects.get(code="meeting"),
            partner=partner,
            subject="Tárgyalás",
            starts_at=timezone.now() + datetime.timedelta(days=1),
        ),
    )
    client.force_login(org.owner)
    page = client.get(reverse("documents:create") + f"?activity={meeting.pk}").content.decode()
    assert "Tárgyalás" in page
    client.post(
        reverse("documents:create") + f"?activity={meeting.pk}",
        {"title": "Emlékeztető", "type": "other", "activity": meeting.pk},
    )
    document = Document.objects.get(title="Emlékeztető")
    Document.objects.filter(pk=document.pk).update(owner=org.boss)
    assert visible(org.owner, document) and visible(org.supervisor, document)
    assert not visible(org.peer, document)
