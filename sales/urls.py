from django.urls import path

from . import board, catalogue_views, quote_views, views

app_name = "sales"

urlpatterns = [
    path("", board.board, name="board"),
    path("board/move/", board.board_move, name="board-move"),
    path("opportunities/", views.opportunity_list, name="opportunities"),
    path("opportunities/new/", views.opportunity_start, name="opportunity-start"),
    path(
        "opportunities/new/<int:partner_pk>/", views.opportunity_create, name="opportunity-create"
    ),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity-edit"),
    path("opportunities/<int:pk>/move/", views.move, name="opportunity-move"),
    path("opportunities/<int:pk>/call-back/", views.callback, name="opportunity-callback"),
    path("opportunities/<int:pk>/lines/", views.line_add, name="line-add"),
    path("opportunities/<int:pk>/lines/<int:line_pk>/", views.line_edit, name="line-edit"),
    path(
        "opportunities/<int:pk>/lines/<int:line_pk>/delete/",
        views.line_delete,
        name="line-delete",
    ),
    path("opportunities/<int:pk>/quote/", quote_views.quote_create, name="quote-create"),
    path("quotes/<int:pk>/", quote_views.quote_detail, name="quote"),
    path("quotes/<int:pk>/status/", quote_views.quote_status, name="quote-status"),
    path("products/", catalogue_views.product_list, name="products"),
    path("products/new/", catalogue_views.product_create, name="product-create"),
    path("products/import/", catalogue_views.product_import, name="product-import"),
    path("products/<int:pk>/", catalogue_views.product_detail, name="product"),
    path("products/<int:pk>/edit/", catalogue_views.product_edit, name="product-edit"),
    path("price-lists/", catalogue_views.pricelist_list, name="pricelists"),
    path("discounts/", catalogue_views.discount_list, name="discounts"),
    path("price-lists/<int:pk>/", catalogue_views.pricelist_detail, name="pricelist"),
    # quotes: the list, from scratch, editing a draft, versions, sending (issue 25 item 5)
    path("quotes/", quote_views.quote_list, name="quotes"),
    path("quotes/new/", quote_views.quote_start, name="quote-start"),
    path("quotes/new/<int:partner_pk>/", quote_views.quote_new, name="quote-new"),
    path("quotes/<int:pk>/edit/", quote_views.quote_edit, name="quote-edit"),
    path("quotes/<int:pk>/lines/", quote_views.quote_line_add, name="quote-line-add"),
    path(
        "quotes/<int:pk>/lines/<int:line_pk>/",
        quote_views.quote_line_edit,
        name="quote-line-edit",
    ),
    path(
        "quotes/<int:pk>/lines/<int:line_pk>/delete/",
        quote_views.quote_line_delete_view,
        name="quote-line-delete",
    ),
    path("quotes/<int:pk>/version/", quote_views.quote_version, name="quote-version"),
    path("quotes/<int:pk>/send/", quote_views.quote_send_view, name="quote-send"),
]
