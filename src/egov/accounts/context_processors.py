from .choices import Role
from .selectors import user_agency_ids, user_is_officer


def officer(request):
    """Whether the officers' menu shows, and how many notifications are unread."""
    from egov.notifications.selectors import unread_count

    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    from egov.core.selectors import user_can_manage_calendar

    return {
        "is_officer": bool(signed_in and user_is_officer(user)),
        # The counter-assisted submission is offered to reception officers only.
        "is_reception": bool(signed_in and user_agency_ids(user, [Role.RECEPTION])),
        "can_manage_calendar": bool(signed_in and user_can_manage_calendar(user)),
        "unread_notifications": unread_count(user) if signed_in else 0,
    }
