from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("company/", views.switch_company, name="switch_company"),
    path("history/<str:model_label>/<str:pk>/", views.record_history, name="record_history"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("messages/", include("crm.messaging.urls")),
    path("partners/", include("partners.urls")),
    path("activities/", include("activities.urls")),
    path("documents/", include("documents.urls")),
    path("sales/", include("sales.urls")),
    path("search/", include("partners.search_urls")),
    path("reports/", include("crm.querybuilder.urls")),
    path("admin/", admin.site.urls),
]
