"""Folder management in the app: a user with the "manage" level on a folder (a grant on it
or on a folder above it; superusers on every folder of their company) creates subfolders,
renames and moves folders within what they manage, and grants or revokes read, write and
manage to groups and to users of the company. Each write is one transaction; a change that
would take the acting user's own manage right away is refused (nobody locks themselves out).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.scoping import current_company_id

from .models import Folder, FolderGrant, Level


def managed_by(user):
    """The folders ``user`` may manage (inherited down the tree), of their current company."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Folder.objects.none()
    if user.is_superuser:  # as Folder.objects.visible_to: every folder without a company
        company_id = current_company_id(user)
        return Folder.objects.filter(company_id=company_id) if company_id else Folder.objects.all()
    return Folder.objects.granted(user, Level.MANAGE)


def manages(user, folder) -> bool:
    return managed_by(user).filter(pk=folder.pk).exists()


def company_users(company_id: int):
    """The active users of the company (who may be given a grant)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__company_id=company_id)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the folder a name."))
    if "/" in name or "\\" in name:
        raise ValidationError(_("A folder's name cannot hold / or \\."))
    return name[:200]


def _save(folder) -> None:
    try:
        with transaction.atomic():
            folder.save()
    except IntegrityError:
        raise ValidationError(
            _("There is already a folder named “%(name)s” there.") % {"name": folder.name}
        ) from None


def folder_create(*, parent, name: str, user) -> Folder:
    if not manages(user, parent):
        raise ValidationError(_("You may not manage this folder."))
    folder = Folder(company_id=parent.company_id, parent=parent, name=_check_name(name))
    with transaction.atomic():
        _save(folder)
    return folder


def folder_rename(*, folder, name: str, user) -> Folder:
    if not manages(user, folder):
        raise ValidationError(_("You may not manage this folder."))
    with transaction.atomic():
        folder = Folder.objects.select_for_update().get(pk=folder.pk)
        folder.name = _check_name(name)
        _save(folder)
    return folder


def move_targets(user, folder):
    """Where ``folder`` may go: folders the user manages, not inside itself, not where it is."""
    return (
        managed_by(user)
        .exclude(tree_id=folder.tree_id, lft__gte=folder.lft, rght__lte=folder.rght)
        .exclude(pk=folder.parent_id or 0)
        .order_by("tree_id", "lft")
    )


def folder_move(*, folder, parent, user) -> Folder:
    """Moves ``folder`` (with what is below it) under ``parent``; both must be managed by
    ``user`` (so they still manage it there)."""
    with transaction.atomic():
        if not move_targets(user, folder).filter(pk=parent.pk).exists():
            raise ValidationError(_("The folder cannot be moved there."))
        Folder.objects.select_for_update().filter(pk=folder.pk).first()
        try:
            with transaction.atomic():
                folder.move_to(parent, "last-child")
        except IntegrityError:
            raise ValidationError(
                _("There is already a folder named “%(name)s” there.") % {"name": folder.name}
            ) from None
        folder.refresh_from_db()
    return folder


def _principal_filter(*, group=None, member=None) -> Q:
    return Q(group=group, user__isnull=True) if group else Q(user=member, group__isnull=True)


def grant_set(*, folder, level: int, user, group=None, member=None) -> FolderGrant:
    """Gives ``group`` or ``member`` (a user of the folder's company) ``level`` on ``folder``
    and below, replacing the level it had there."""
    if (group is None) == (member is None):
        raise ValidationError(_("Choose a group or a user."))
    if member is not None and not company_users(folder.company_id).filter(pk=member.pk).exists():
        raise ValidationError(_("The user does not belong to this company."))
    if level not in Level.values:
        raise ValidationError(_("Choose a level."))
    with transaction.atomic():
        grants = FolderGrant.objects.select_for_update().filter(
            _principal_filter(group=group, member=member), folder=folder
        )
        grant = grants.first()
        if grant is None:
            grant = FolderGrant(folder=folder, group=group, user=member)
        grant.level = level
        grant.save()
        grants.exclude(pk=grant.pk).delete()
        if not manages(user, folder):
            raise ValidationError(_("You would no longer manage this folder."))
    return grant


def grant_revoke(*, grant, user) -> None:
    with transaction.atomic():
        FolderGrant.objects.filter(pk=grant.pk).delete()
        if not manages(user, grant.folder):
            raise ValidationError(
                _("This grant gives you the right to manage the folder: it stays.")
            )


def grants_context(folder) -> dict:
    """The grants on ``folder`` itself and those it inherits from the folders above it."""
    grants = list(
        FolderGrant.objects.filter(folder__in=folder.get_ancestors(include_self=True))
        .select_related("group", "user", "folder")
        .order_by("folder__lft", "-level", "group__name", "user__last_name")
    )
    return {
        "own": [g for g in grants if g.folder_id == folder.pk],
        "inherited": [g for g in grants if g.folder_id != folder.pk],
    }


def all_groups():
    return Group.objects.order_by("name")
