"""Hooks other apps connect to (wiring only; the payments app does not know who listens).

``payment_paid`` is sent inside the transaction that confirms a payment (IPN or cash), once per
payment, with ``payment`` and ``actor`` (None for the gateway). A receiver writes in that same
transaction, so the dossier's history and the payment commit or roll back together; a receiver that
raises makes the IPN answer 99 and the gateway retry, so it must not refuse an ordinary state.
"""

from django.dispatch import Signal

payment_paid = Signal()
