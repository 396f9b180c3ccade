from .selectors import user_is_officer


def officer(request):
    user = getattr(request, "user", None)
    return {"is_officer": bool(user is not None and user.is_authenticated and user_is_officer(user))}
