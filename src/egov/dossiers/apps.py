from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "egov.dossiers"
    label = "dossiers"

    def ready(self) -> None:
        # Wiring only: a confirmed payment writes its line in the dossier's history (same transaction).
        from egov.payments.signals import payment_paid

        payment_paid.connect(_record_payment, dispatch_uid="dossiers.record_payment")


def _record_payment(sender, *, payment, actor=None, **kwargs) -> None:
    from .services import dossier_record_payment

    dossier_record_payment(dossier=payment.dossier, actor=actor, payment=payment)
