"""Subscribing to a folder or a document (their pages' button), and the user's own list of
subscriptions. A folder or document the user does not see is a 404, as everywhere."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import Document, Folder
from .subscriptions import Mode, Subscription, subscribe, unsubscribe


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def subscription_add(request):
    """Follows the folder (``folder``) or document (``document``) posted, told as ``mode``
    says; posting again changes the mode."""
    user = request.user
    folder = document = None
    if folder_id := _int(request.POST.get("folder")):
        folder = Folder.objects.visible_to(user).filter(pk=folder_id).first()
        if folder is None:
            raise Http404
        fallback = f"/documents/?folder={folder.pk}"
    else:
        document = Document.objects.visible_to(user).filter(pk=_int(request.POST.get("document")))
        document = document.first()
        if document is None:
            raise Http404
        fallback = document.get_absolute_url()
    try:
        subscription = subscribe(
            user=user, mode=request.POST.get("mode", ""), folder=folder, document=document
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Subscribed to “%(name)s”: you are told of its changes (%(mode)s).")
            % {"name": folder or document, "mode": subscription.get_mode_display()},
        )
    return _back(request, fallback)


@login_required
@require_POST
def subscription_delete(request, pk: int):
    if not unsubscribe(user=request.user, pk=pk):
        raise Http404
    messages.success(request, _("Unsubscribed."))
    return _back(request, "documents:subscriptions")


@login_required
def subscription_list(request):
    """The user's subscriptions; those whose folder or document they no longer see are listed
    without their name (they are told of nothing there)."""
    user = request.user
    subscriptions = list(
        Subscription.objects.filter(user=user)
        .select_related("folder", "document")
        .order_by("-created_at", "-id")[:500]
    )
    folders = set(
        Folder.objects.visible_to(user)
        .filter(pk__in=[s.folder_id for s in subscriptions if s.folder_id])
        .values_list("pk", flat=True)
    )
    documents = set(
        Document.objects.visible_to(user)
        .filter(pk__in=[s.document_id for s in subscriptions if s.document_id])
        .values_list("pk", flat=True)
    )
    for s in subscriptions:
        s.in_sight = s.folder_id in folders if s.folder_id else s.document_id in documents
    return render(
        request,
        "documents/subscriptions.html",
        {"subscriptions": subscriptions, "modes": Mode.choices},
    )
