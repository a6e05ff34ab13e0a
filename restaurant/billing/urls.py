"""The till's URLs: the staff side under each restaurant (`staff_patterns`, served at the
root and under `/r/<slug>/` like the rest of the staff side), the diner's side by table token
or receipt token (`diner_patterns`)."""

from django.urls import path

from restaurant.billing import diner_views, report_views, till_views

staff_patterns = [
    path("staff/tables/<int:number>/check/", till_views.check_page, name="staff-check"),
    path("staff/api/tables/<int:number>/check/", till_views.check_api, name="staff-check-api"),
    path(
        "staff/tables/<int:number>/check/discounts/",
        till_views.discount_add,
        name="staff-check-discount",
    ),
    path(
        "staff/discounts/<int:discount_id>/remove/",
        till_views.discount_remove,
        name="staff-discount-remove",
    ),
    path(
        "staff/tables/<int:number>/check/owners/", till_views.owners_set, name="staff-check-owners"
    ),
    path(
        "staff/tables/<int:number>/check/payments/",
        till_views.payment_add,
        name="staff-check-payment",
    ),
    path(
        "staff/payments/<int:payment_id>/refund/",
        till_views.payment_refund,
        name="staff-payment-refund",
    ),
    path(
        "staff/tables/<int:number>/check/print/", till_views.check_print, name="staff-check-print"
    ),
    path("staff/report/", report_views.report_page, name="staff-report"),
    path("staff/report/<str:day>.csv", report_views.report_csv, name="staff-report-csv"),
    path("staff/report/<str:day>.xlsx", report_views.report_xlsx, name="staff-report-xlsx"),
    path("staff/report/<str:day>/close/", report_views.day_close, name="staff-day-close"),
]

diner_patterns = [
    path("t/<str:token>/check/", diner_views.check_page, name="table-check"),
    path("api/t/<str:token>/check/", diner_views.check_api, name="check-api"),
    path("receipt/<str:receipt_token>/", diner_views.receipt_page, name="receipt"),
]
