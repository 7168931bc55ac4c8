"""The query builder's export pages' URLs: the export itself (POST), a background export's
progress and its file."""

from django.urls import path

from . import export_views

urlpatterns = [
    path("export/", export_views.export, name="export"),
    path("exports/", export_views.export_list, name="export_list"),
    path("exports/<int:pk>/", export_views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
]
