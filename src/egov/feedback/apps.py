from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "egov.feedback"
    label = "feedback"
