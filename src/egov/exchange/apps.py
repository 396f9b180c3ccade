from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "egov.exchange"
    label = "exchange"

    def ready(self) -> None:
        # Wiring only: the documents app calls these after its own transactions commit.
        from egov.documents import services as documents
        from egov.documents import views as document_pages

        from . import selectors, services

        for hooks, hook in (
            (documents.DELIVERY_HOOKS, services.deliver_on_issue),
            (documents.RECALL_HOOKS, services.deliver_on_recall),
            (documents.STATUS_HOOKS, services.notify_status),
        ):
            if hook not in hooks:
                hooks.append(hook)
        if selectors.page_section not in document_pages.PAGE_SECTIONS:
            document_pages.PAGE_SECTIONS.append(selectors.page_section)
