from django.urls import include, path

from . import export_views, nav_views, views

app_name = "partners"

urlpatterns = [
    path("", views.partner_list, name="list"),
    path("new/", views.partner_create, name="create"),
    path("new/duplicates/", views.partner_duplicates, name="duplicates"),
    path("new/registry/", views.partner_registry_fill, name="registry-fill"),
    path("nav-check/", nav_views.partner_nav_check, name="nav-check"),
    path("new/nav-fill/", nav_views.partner_nav_fill, name="nav-fill"),
    path("columns/<str:screen>/", views.columns_save, name="columns"),
    path("export/<str:fmt>/", export_views.partner_export, name="export"),
    path("contacts/export/<str:fmt>/", export_views.contact_export, name="contacts-export"),
    path("<int:pk>/", views.partner_detail, name="detail"),
    path("<int:pk>/edit/", views.partner_edit, name="edit"),
    path("<int:pk>/owners/", views.partner_assign, name="assign"),
    path("<int:pk>/take-on/", views.partner_take_on, name="take-on"),
    path("<int:partner_pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/export/", views.contact_export, name="contact-export"),
    path("contacts/<int:pk>/erase/", views.contact_erase, name="contact-erase"),
    path("contacts/<int:pk>/consents/", views.consent_add, name="consent-add"),
    path("import/", include("partners.import_urls")),
]
