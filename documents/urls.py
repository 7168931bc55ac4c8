from django.urls import path

from . import generator_views, views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("new/", views.document_create, name="create"),
    path("trash/", views.trash, name="trash"),
    path("audit/", views.audit, name="audit"),
    path("audit/export/", views.audit_export, name="audit-export"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/edit/", views.document_edit, name="edit"),
    path("<int:pk>/files/", views.document_files, name="files"),
    path("<int:pk>/upload/", views.document_upload, name="upload"),
    path("<int:pk>/download/", views.document_download, name="download"),
    path(
        "<int:pk>/versions/<int:number>/download/", views.document_download, name="download-version"
    ),
    path("<int:pk>/versions/<int:number>/restore/", views.version_restore, name="restore-version"),
    path("<int:pk>/check-out/", views.document_check_out, name="check-out"),
    path("<int:pk>/check-in/", views.document_check_in, name="check-in"),
    path("<int:pk>/delete/", views.document_delete, name="delete"),
    path("<int:pk>/undelete/", views.document_undelete, name="undelete"),
    *generator_views.urlpatterns,  # templates, packs and generating (documents/generator.py)
]
