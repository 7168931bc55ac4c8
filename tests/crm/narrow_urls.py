"""A URL conf whose patterns refuse the placeholders crm.links reverses with (tests only)."""

from django.http import HttpResponse
from django.urls import re_path


def _view(request, **kwargs):
    return HttpResponse()


urlpatterns = [re_path(r"^archive/(?P<year>[0-9]{4})/$", _view, name="archive")]
