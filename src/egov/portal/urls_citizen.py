"""The citizen's pages, at the site root with Vietnamese paths (as /tra-cuu/ and /thu-tuc/)."""

from django.urls import path, re_path

from . import citizen

app_name = "citizen"

# A dossier code: agency code, date of receipt, daily number (Circular 01/2018/TT-VPCP art. 19).
CODE = r"(?P<code>[0-9A-Za-z][0-9A-Za-z.\-]{0,39})"

urlpatterns = [
    path("dang-ky/", citizen.sign_up, name="sign_up"),
    path("dang-ky/xac-thuc/", citizen.sign_up_verify, name="sign_up_verify"),
    path("ma-xac-thuc/<str:purpose>/gui-lai/", citizen.resend_code, name="resend_code"),
    path("dang-nhap/", citizen.login_view, name="login"),
    path("quen-mat-khau/", citizen.password_reset, name="password_reset"),
    path("quen-mat-khau/dat-lai/", citizen.password_reset_confirm, name="password_reset_confirm"),
    path("tai-khoan/", citizen.account, name="account"),
    path("tai-khoan/lien-ket/", citizen.link, name="link"),
    path("tai-khoan/doanh-nghiep/", citizen.business, name="business"),
    path("ho-so-cua-toi/", citizen.my_dossiers, name="dossiers"),
    re_path(rf"^ho-so-cua-toi/{CODE}/$", citizen.my_dossier, name="dossier"),
    re_path(rf"^ho-so-cua-toi/{CODE}/bo-sung/$", citizen.supplement, name="supplement"),
    re_path(rf"^ho-so-cua-toi/{CODE}/rut-ho-so/$", citizen.withdraw, name="withdraw"),
    re_path(rf"^ho-so-cua-toi/{CODE}/ket-qua/(?P<pk>\d+)/$", citizen.result_download, name="result"),
    path("kho-du-lieu/", citizen.vault_list, name="vault"),
    path("kho-du-lieu/<int:pk>/", citizen.vault_download, name="vault_item"),
    path("ho-tro-nop/", citizen.assisted, name="assisted"),
    path("ho-tro-nop/phieu-dong-y/", citizen.assisted_consent_blank, name="assisted_consent_blank"),
    re_path(rf"^ho-tro-nop/{CODE}/phieu-dong-y/$", citizen.assisted_consent, name="assisted_consent"),
]
