from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/", views.message_detail, name="detail"),
    path("<int:pk>/resend/", views.resend, name="resend"),
    path("o/<str:token>.gif", views.opened, name="opened"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sms/<str:token>/", views.sms_report, name="sms_report"),
]
