from django.urls import path, re_path

from . import simulator, views

app_name = "payments"

# A dossier code: agency code, date of receipt, daily number (Circular 01/2018/TT-VPCP art. 19).
CODE = r"(?P<code>[0-9A-Za-z][0-9A-Za-z.\-]{0,39})"
TXN_REF = r"(?P<txn_ref>[0-9A-Za-z]{1,100})"

urlpatterns = [
    path("ipn", views.ipn, name="ipn"),
    path("return", views.payment_return, name="return"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("simulator/paymentv2/vpcpay.html", simulator.pay, name="simulator"),
    re_path(rf"^start/{CODE}$", views.start, name="start"),
    re_path(rf"^dossier/{CODE}/$", views.dossier_payments, name="dossier"),
    re_path(rf"^cash/{CODE}/$", views.cash, name="cash"),
    re_path(rf"^{TXN_REF}/receipt\.pdf$", views.receipt, name="receipt"),
]
