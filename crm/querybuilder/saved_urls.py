"""The query builder's saved pages' URLs."""

from django.urls import path

from . import saved_views, schedule_views

urlpatterns = [
    path("saved/", saved_views.saved_list, name="saved"),
    path("saved/new/", saved_views.saved_create, name="saved_create"),
    path("saved/update/", saved_views.saved_update, name="saved_update"),
    path("saved/<int:pk>/copy/", saved_views.saved_copy, name="saved_copy"),
    path("saved/<int:pk>/share/", saved_views.saved_share, name="saved_share"),
    path("saved/<int:pk>/delete/", saved_views.saved_delete, name="saved_delete"),
    path("saved/<int:pk>/schedules/", saved_views.saved_schedules, name="saved_schedules"),
    path(
        "saved/schedules/<int:pk>/edit/",
        schedule_views.saved_schedule_edit,
        name="saved_schedule_edit",
    ),
    path(
        "saved/schedules/<int:pk>/delete/",
        saved_views.saved_schedule_delete,
        name="saved_schedule_delete",
    ),
]
