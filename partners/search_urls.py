"""The global search box (``/search/``), answered by the partners app."""

from django.urls import path

from . import views

urlpatterns = [path("", views.search, name="search")]
