from django.urls import include, path

from . import views

urlpatterns = [
    path("memos/", views.MemoList.as_view(), name="memo-list"),
    path("memos/new/", views.MemoCreate.as_view(), name="memo-create"),
    path("memos/<int:pk>/", views.MemoDetail.as_view(), name="memo-detail"),
    path("memos/<int:pk>/edit/", views.MemoEdit.as_view(), name="memo-edit"),
    path("memos/<int:pk>/delete/", views.MemoDelete.as_view(), name="memo-delete"),
    path("", include("crm.urls")),
]
