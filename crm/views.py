from django.apps import apps as django_apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import health
from .history import history_rows
from .panels import panels
from .scoping import company_ids, get_visible_or_404


@login_required
def home(request):
    return render(request, "crm/home.html", {"panels": panels.for_request(request)})


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico where a page names no icon (the admin, files, JSON): the
    CRM's own icon, as the pages name it."""
    return HttpResponsePermanentRedirect(static("crm/favicon.svg"))


@never_cache
@require_GET
def healthz(request):
    healthy, body = health.report()
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
@require_POST
def switch_company(request):
    """The own-company switcher of the top bar; the choice is remembered on the user."""
    company_id = request.POST.get("company", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if not company_id.isdigit() or int(company_id) not in company_ids(request.user):
        messages.error(request, _("You do not belong to that company, so you cannot switch to it."))
        return redirect(next_url)
    request.user.current_company_id = int(company_id)
    request.user.save(update_fields=["current_company"])
    return redirect(next_url)


HISTORY_LIMIT = 200


@login_required
def record_history(request, model_label: str, pk: str):
    """Who changed what and when on one record. Scoped records go through ``visible_to``;
    organisation records (users, companies, ...) need the staff flag and the view function."""
    try:
        model = django_apps.get_model(model_label)
    except (LookupError, ValueError):
        raise Http404 from None
    if not hasattr(model, "events") or not pk.isdigit():
        raise Http404
    manager = model._default_manager
    if hasattr(manager, "visible_to"):
        obj = get_visible_or_404(manager, request.user, pk=pk)
    else:
        opts = model._meta
        if not (
            request.user.is_staff
            and request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        ):
            raise Http404
        obj = get_object_or_404(manager, pk=pk)
    rows = history_rows(obj, limit=HISTORY_LIMIT)
    return render(
        request,
        "crm/history.html",
        {"object": obj, "rows": rows, "opts": model._meta, "limit": HISTORY_LIMIT},
    )
