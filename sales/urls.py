from django.urls import path

from . import (
    board,
    catalogue_views,
    invoice_views,
    order_views,
    project_views,
    quote_views,
    report_views,
    views,
)

app_name = "sales"

urlpatterns = [
    path("", board.board, name="board"),
    path("board/move/", board.board_move, name="board-move"),
    path("reports/", report_views.report_page, name="reports"),
    path("reports/export/", report_views.report_export, name="reports-export"),
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
    path("quotes/<int:pk>/order/", order_views.order_create, name="order-create"),
    path("orders/", order_views.order_list, name="orders"),
    path("orders/<int:pk>/", order_views.order_detail, name="order"),
    path("orders/<int:pk>/edit/", order_views.order_edit, name="order-edit"),
    path("orders/<int:pk>/cancel/", order_views.order_cancel_view, name="order-cancel"),
    path("orders/<int:pk>/deliver/", order_views.delivery_new, name="delivery-create"),
    path("deliveries/<int:pk>/", order_views.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/cancel/", order_views.delivery_cancel_view, name="delivery-cancel"),
    path("invoices/", invoice_views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", invoice_views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", invoice_views.invoice_pdf, name="invoice-pdf"),
    path("invoices/<int:pk>/status/", invoice_views.invoice_status, name="invoice-status"),
    path("invoices/<int:pk>/cancel/", invoice_views.invoice_cancel, name="invoice-cancel"),
    path(
        "deliveries/<int:pk>/invoice/",
        invoice_views.invoice_from_delivery,
        name="invoice-from-delivery",
    ),
    path("orders/<int:pk>/invoice/", invoice_views.invoice_from_order, name="invoice-from-order"),
    # projects (issue 25, item 4)
    path("projects/", project_views.project_list, name="projects"),
    path("projects/new/", project_views.project_start, name="project-start"),
    path("projects/new/<int:partner_pk>/", project_views.project_create, name="project-create"),
    path("projects/<int:pk>/", project_views.project_detail, name="project"),
    path("projects/<int:pk>/edit/", project_views.project_edit, name="project-edit"),
    path("projects/<int:pk>/products/", project_views.product_add, name="project-product-add"),
    path(
        "projects/<int:pk>/products/<int:item_pk>/",
        project_views.product_edit,
        name="project-product-edit",
    ),
    path(
        "projects/<int:pk>/products/<int:item_pk>/remove/",
        project_views.product_remove,
        name="project-product-remove",
    ),
    path(
        "projects/<int:pk>/opportunities/link/",
        project_views.opportunity_link,
        name="project-opportunity-link",
    ),
    path(
        "projects/<int:pk>/opportunities/unlink/",
        project_views.opportunity_unlink,
        name="project-opportunity-unlink",
    ),
    path(
        "projects/<int:pk>/activities/link/",
        project_views.activity_link,
        name="project-activity-link",
    ),
    path(
        "projects/<int:pk>/activities/unlink/",
        project_views.activity_unlink,
        name="project-activity-unlink",
    ),
]
