import base64
import hmac
import json

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.scoping import get_visible_or_404

from . import services
from .channels import sms_callback_signature
from .forms import OutboxFilterForm
from .models import Channel, Message, Status

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PAGE_SIZE = 50


@login_required
def outbox(request):
    """The outbox: filters by status, channel, date and record; keyset pages."""
    form = OutboxFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = (
        Message.objects.filtered(**filters)
        .select_related("owner")
        .visible_page(request.user, after=filters.get("after"), size=PAGE_SIZE)
    )
    context = {
        "form": form,
        "rows": rows[:PAGE_SIZE],
        "next_after": rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None,
        "statuses": Status.choices,
        "channels": Channel.choices,
        "filters": {
            key: request.GET.get(key, "")
            for key in ("status", "channel", "day_from", "day_to", "about")
        },
        "can_resend": request.user.has_perm("crm.resend_message"),
    }
    template = (
        "crm/messaging/partials/outbox_rows.html" if request.htmx else "crm/messaging/outbox.html"
    )
    return render(request, template, context)


@login_required
def message_detail(request, pk: int):
    message = get_visible_or_404(Message, request.user, pk=pk)
    return render(
        request,
        "crm/messaging/message_detail.html",
        {
            "message": message,
            "log": message.log.all(),
            "can_resend": request.user.has_perm("crm.resend_message"),
        },
    )


@login_required
@require_POST
def resend(request, pk: int):
    message = get_visible_or_404(Message, request.user, pk=pk)
    try:
        done = services.message_resend(message, user=request.user)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("messaging:detail", pk=pk)
    if done:
        flash.success(request, _("The message is queued again."))
    else:
        flash.warning(request, _("Only a failed message can be resent."))
    return redirect("messaging:detail", pk=pk)


@never_cache
@require_GET
def opened(request, token: str):
    """The open-tracking pixel: a 1×1 GIF; marks the message opened the first time."""
    services.mark_opened(token)
    return HttpResponse(PIXEL, content_type="image/gif")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """The unsubscribe page (GET shows it, POST confirms; mail clients' one-click POST too)."""
    message = Message.objects.filter(token=token).first()
    if message is None:
        return render(request, "crm/messaging/unsubscribe.html", {"unknown": True}, status=404)
    done = False
    if request.method == "POST":
        services.unsubscribe(token)
        done = True
    return render(
        request,
        "crm/messaging/unsubscribe.html",
        {"address": message.recipient, "done": done, "token": token},
    )


@csrf_exempt
@require_POST
def sms_report(request, token: str):
    """The SMS gateway's delivery report: signed with our secret in the ``sig`` parameter;
    body JSON ``{"status": "delivered" | "failed", "detail": "..."}``."""
    signature = request.GET.get("sig", "")
    if not hmac.compare_digest(signature, sms_callback_signature(token)):
        return JsonResponse({"error": "bad signature"}, status=403)
    message = Message.objects.filter(token=token, channel=Channel.SMS).first()
    if message is None:
        return JsonResponse({"error": "unknown message"}, status=404)
    try:
        payload = json.loads(request.body or b"{}")
        state = str(payload.get("status", "")).lower()
    except (ValueError, AttributeError):
        return HttpResponseBadRequest("bad JSON")
    if state not in ("delivered", "failed"):
        return JsonResponse({"error": "status must be delivered or failed"}, status=400)
    changed = services.mark_delivery_report(
        message, delivered=state == "delivered", detail=str(payload.get("detail", ""))[:500]
    )
    return JsonResponse({"ok": True, "changed": changed})
