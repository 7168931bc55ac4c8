"""The CRM's URLs plus two floor pages, so a benchmark can show what any signed-in page costs
before it does its own work, measured in the same run as the real pages:

- ``/bench/floor/signed-in/``: the middleware, the session, the user and the access profile,
  then an empty answer;
- ``/bench/floor/shell/``: the same, then the page shell (``base.html``: top bar, menus,
  messages) with no content.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from crm.urls import urlpatterns as crm_urlpatterns


@login_required
def signed_in(request):
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def shell(request):
    return render(request, "base.html", {})


urlpatterns = [
    *crm_urlpatterns,
    path("bench/floor/signed-in/", signed_in),
    path("bench/floor/shell/", shell),
]
