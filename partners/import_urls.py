"""The import screens, included by ``partners/urls.py`` at ``import/`` in the ``partners``
namespace: ``partners:import-upload`` and so on."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.upload, name="import-upload"),
    path("<int:pk>/", import_views.mapping, name="import-mapping"),
    path("<int:pk>/start/", import_views.start, name="import-start"),
    path("<int:pk>/progress/", import_views.progress, name="import-progress"),
    path("<int:pk>/result/", import_views.result, name="import-result"),
    path("<int:pk>/report.csv", import_views.report, name="import-report"),
]
