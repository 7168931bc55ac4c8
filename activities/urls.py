from django.urls import path

from . import calendar, google_views, next_steps, observations, reminders, views

app_name = "activities"

urlpatterns = [
    path("", views.my_activities, name="mine"),
    path("overdue/", views.overdue, name="overdue"),
    path("new/<int:partner_pk>/", views.activity_create, name="create"),
    path("new/task/", views.internal_task_create, name="create-task"),
    path("new/contact/<int:contact_pk>/", views.contact_activity_create, name="create-for-contact"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/close/", views.activity_close, name="close"),
    path("<int:pk>/follow-up/<int:type_pk>/", views.activity_follow_up, name="follow-up"),
    path("<int:pk>/move/", calendar.move, name="move"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/feed/", calendar.feed_settings, name="feed"),
    path("ics/<str:token>.ics", calendar.ics, name="ics"),
    path("<int:pk>/observations/", observations.add, name="observation-add"),
    path(
        "<int:pk>/observations/<int:observation_pk>/delete/",
        observations.delete,
        name="observation-delete",
    ),
    path("observations/", observations.report, name="observations"),
    path("without-next-event/", next_steps.no_next_event, name="no-next-event"),
    path("google/", google_views.page, name="google"),
    path("google/connect/", google_views.connect, name="google-connect"),
    path("google/callback/", google_views.callback, name="google-callback"),
    path("google/disconnect/", google_views.disconnect, name="google-disconnect"),
    path("reminders/", reminders.reminders, name="reminders"),
    path("reminders/<int:pk>/dismiss/", reminders.dismiss, name="reminder-dismiss"),
    path("reminders/<int:pk>/snooze/", reminders.snooze, name="reminder-snooze"),
]
