"""``manage.py issue_api_token <username> [--name NAME]``: print a new bearer token for the API.

Only the token goes to standard output, so scripts can capture it (``TOKEN=$(... issue_api_token x)``);
the note about keeping it goes to standard error.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egov.accounts.models import User
from egov.accounts.services import api_token_issue


class Command(BaseCommand):
    help = _(
        "Cấp mã truy cập API (Authorization: Bearer <mã>) cho một người dùng hoặc tài khoản hệ thống. "
        "Mã chỉ hiện một lần; hệ thống chỉ lưu giá trị băm."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help=_("Tên đăng nhập của người dùng nhận mã."))
        parser.add_argument("--name", default="", help=_("Tên gợi nhớ của mã, ví dụ hệ thống sử dụng nó."))

    def handle(self, *args, **options) -> None:
        username = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Không tìm thấy người dùng “%(username)s”.") % {"username": username})
        if not user.is_active:
            raise CommandError(
                _("Tài khoản “%(username)s” đang bị khóa; mã cấp cho tài khoản này sẽ không dùng được.")
                % {"username": username}
            )
        token = api_token_issue(user=user, name=options["name"][:100])
        self.stdout.write(token)
        self.stderr.write(
            _("Đã cấp mã cho %(user)s. Hãy lưu lại ngay: mã sẽ không hiển thị lại.") % {"user": user.username}
        )
