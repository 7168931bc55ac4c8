"""The query builder's builder pages' URLs."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("", views.builder, name="builder"),
    path("catalog/", views.catalog, name="catalog"),
    path("preview/", views.preview, name="preview"),
    path("run/", views.run, name="run"),
    path("count/", views.count, name="count"),
    path("print/", views.print_view, name="print"),
]
