"""Folder management pages: the folders a user manages, and one page per folder to rename
it, add a subfolder, move it and grant or revoke read, write and manage (``folders.py`` does
the writes). A folder the user does not see is 404, one they see but do not manage is 403,
as the store's other fetch helpers answer."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.forms import BootstrapMixin

from . import folders
from .models import Folder, FolderGrant, Level


class NameForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class MoveForm(BootstrapMixin, forms.Form):
    parent = forms.ModelChoiceField(
        label=gettext_lazy("Move under"), queryset=Folder.objects.none(), empty_label=None
    )

    def __init__(self, *args, user, folder, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = folders.move_targets(user, folder)
        self.fields["parent"].label_from_instance = lambda f: "· " * f.level + f.name
        self.style_fields()


class GrantForm(BootstrapMixin, forms.Form):
    """Who (a group, ``g<id>``, or a user of the company, ``u<id>``) gets which level."""

    principal = forms.ChoiceField(label=gettext_lazy("Group or user"))
    level = forms.TypedChoiceField(
        label=gettext_lazy("Level"), choices=Level.choices, coerce=int, initial=Level.READ
    )

    def __init__(self, *args, folder, **kwargs):
        super().__init__(*args, **kwargs)
        groups = [(f"g{g.pk}", g.name) for g in folders.all_groups()]
        users = [
            (f"u{u.pk}", u.get_full_name() or u.get_username())
            for u in folders.company_users(folder.company_id)
        ]
        self.fields["principal"].choices = [
            ("", "–"),
            (_("Groups"), groups),
            (_("Users"), users),
        ]
        self.style_fields()

    def chosen(self) -> dict:
        kind, pk = self.cleaned_data["principal"][0], int(self.cleaned_data["principal"][1:])
        if kind == "g":
            return {"group": Group.objects.get(pk=pk)}
        return {"member": get_user_model().objects.get(pk=pk)}


def _visible_folder_or_404(user, pk: int) -> Folder:
    folder = Folder.objects.visible_to(user).filter(pk=pk).first()
    if folder is None:
        raise Http404
    return folder


def _managed_or_404(user, pk: int) -> Folder:
    """404 when the user does not see the folder, 403 when they see it but do not manage it."""
    folder = _visible_folder_or_404(user, pk)
    if not folders.manages(user, folder):
        raise PermissionDenied
    return folder


@login_required
def folder_list(request):
    """The folders the user manages, as a tree (with the folders above them for context)."""
    managed = list(folders.managed_by(request.user).order_by("tree_id", "lft"))
    if not managed:
        raise PermissionDenied
    return render(request, "documents/folders/list.html", {"folders": managed})


ACTIONS = ("rename", "create", "move", "grant", "revoke")


@login_required
def folder_manage(request, pk: int):
    """One folder: rename, add a subfolder, move, grants. Each form posts ``action``."""
    user = request.user
    folder = _managed_or_404(user, pk)
    action = request.POST.get("action") if request.method == "POST" else None
    if action not in ACTIONS:
        action = None
    bound = request.POST if action else None
    rename = NameForm(bound if action == "rename" else None, initial={"name": folder.name})
    create = NameForm(bound if action == "create" else None, prefix="sub")
    move = MoveForm(bound if action == "move" else None, user=user, folder=folder)
    grant = GrantForm(bound if action == "grant" else None, folder=folder)
    if action:
        done = _act(request, action, folder, rename=rename, create=create, move=move, grant=grant)
        if done is not None:
            return redirect("documents:folder-manage", pk=done.pk)
    return render(
        request,
        "documents/folders/manage.html",
        {
            "folder": folder,
            "path": folder.get_ancestors(),
            "children": folder.get_children(),
            "rename": rename,
            "create": create,
            "move": move,
            "grant": grant,
            **folders.grants_context(folder),
        },
    )


def _act(request, action, folder, *, rename, create, move, grant):
    """Runs the posted action; returns the folder to show next, or None to show the forms
    again with their errors."""
    user = request.user
    form = {"rename": rename, "create": create, "move": move, "grant": grant}.get(action)
    if form is not None and not form.is_valid():
        return None
    try:
        if action == "rename":
            folders.folder_rename(folder=folder, name=form.cleaned_data["name"], user=user)
            messages.success(request, _("Renamed."))
        elif action == "create":
            child = folders.folder_create(parent=folder, name=form.cleaned_data["name"], user=user)
            messages.success(request, _("Folder “%(name)s” created.") % {"name": child.name})
            return child
        elif action == "move":
            folders.folder_move(folder=folder, parent=form.cleaned_data["parent"], user=user)
            messages.success(request, _("Moved."))
        elif action == "grant":
            folders.grant_set(
                folder=folder, level=form.cleaned_data["level"], user=user, **form.chosen()
            )
            messages.success(request, _("Access saved."))
        else:
            grant_id = _int(request.POST.get("grant"))
            existing = FolderGrant.objects.filter(pk=grant_id or 0, folder=folder).first()
            if existing is None:
                raise Http404
            folders.grant_revoke(grant=existing, user=user)
            messages.success(request, _("Access revoked."))
    except ValidationError as error:
        if form is not None:
            form.add_error(None, error)
            return None
        messages.error(request, " ".join(error.messages))
    return folder


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
