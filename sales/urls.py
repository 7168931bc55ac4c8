from django.urls import path

from . import catalogue_views

app_name = "sales"

urlpatterns = [
    path("products/", catalogue_views.product_list, name="products"),
    path("products/new/", catalogue_views.product_create, name="product-create"),
    path("products/import/", catalogue_views.product_import, name="product-import"),
    path("products/<int:pk>/", catalogue_views.product_detail, name="product"),
    path("products/<int:pk>/edit/", catalogue_views.product_edit, name="product-edit"),
    path("price-lists/", catalogue_views.pricelist_list, name="pricelists"),
    path("price-lists/<int:pk>/", catalogue_views.pricelist_detail, name="pricelist"),
]
