from django.urls import path

from . import (
    collateral_views,
    folder_views,
    generator_views,
    link_views,
    search_views,
    subscription_views,
    views,
)

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("new/", views.document_create, name="create"),
    path("search/", search_views.document_search, name="search"),
    path("trash/", views.trash, name="trash"),
    path("audit/", views.audit, name="audit"),
    path("audit/export/", views.audit_export, name="audit-export"),
    path("subscriptions/", subscription_views.subscription_list, name="subscriptions"),
    path("subscriptions/add/", subscription_views.subscription_add, name="subscribe"),
    path(
        "subscriptions/<int:pk>/delete/",
        subscription_views.subscription_delete,
        name="unsubscribe",
    ),
    path(
        "collateral/send/<int:partner_pk>/",
        collateral_views.collateral_send,
        name="collateral-send",
    ),
    path(
        "folders/<int:pk>/collateral/", collateral_views.folder_collateral, name="folder-collateral"
    ),
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
    path("<int:pk>/links/", link_views.document_links, name="links"),
    path("folders/", folder_views.folder_list, name="folders"),
    path("folders/<int:pk>/", folder_views.folder_manage, name="folder-manage"),
    *generator_views.urlpatterns,  # templates, packs and generating (documents/generator.py)
]
