"""The signed-in user's own security pages: password, two-factor sign-in, API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.forms import CodeForm
from carenet.accounts.models import ApiToken
from carenet.accounts.tokens import token_revoke, tokens_revoke_all
from carenet.accounts.twofactor import (
    confirmed_device,
    pending_device,
    qr_svg,
    two_factor_allowed,
    verify,
)
from carenet.lib.http import AuthenticatedRequest


def _wrong_code(form: CodeForm) -> None:
    form.add_error("code", _("验证码不正确或已过期，请重新输入。"))


@login_required
def security(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "two_factor_allowed": two_factor_allowed(request.user),
        "two_factor_on": confirmed_device(request.user) is not None,
        "token_count": ApiToken.objects.filter(user=request.user, revoked_at__isnull=True).count(),
    }
    return render(request, "accounts/security.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account_security")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        revoked = tokens_revoke_all(user=form.user)
        messages.success(self.request, _("密码已修改。"))
        if revoked:
            messages.info(
                self.request,
                _("您的%(count)s个接口令牌已随旧密码一起吊销。") % {"count": revoked},
            )
        return response


password_change = PasswordChangeView.as_view()


@login_required
def otp_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Turn on two-factor sign-in: scan the code, then confirm with one code from the app."""
    if not two_factor_allowed(request.user):
        raise PermissionDenied
    if confirmed_device(request.user) is not None:
        return render(request, "accounts/otp_status.html", {"form": CodeForm(auto_id="disable_%s")})
    device = pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if verify(device, form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("两步验证已开启，以后登录时需要输入动态验证码。"))
            # Tokens taken on the password alone would still bypass the second factor.
            if tokens_revoke_all(user=request.user):
                messages.info(request, _("已有的接口令牌已吊销，请用密码和动态验证码重新获取。"))
            return redirect("account_security")
        _wrong_code(form)
    context = {"form": form, "config_url": device.config_url, "qr_svg": qr_svg(device.config_url)}
    return render(request, "accounts/otp_setup.html", context)


@login_required
@require_POST
def otp_disable(request: AuthenticatedRequest) -> HttpResponse:
    """Turn two-factor sign-in off; takes a current code, so a left-open session cannot."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect("account_security")
    form = CodeForm(request.POST, auto_id="disable_%s")
    if form.is_valid() and verify(device, form.cleaned_data["code"]):
        TOTPDevice.objects.filter(user=request.user).delete()
        messages.success(request, _("两步验证已关闭。"))
        return redirect("account_security")
    if form.is_valid():
        _wrong_code(form)
    return render(request, "accounts/otp_status.html", {"form": form}, status=400)


@login_required
def otp_verify(request: AuthenticatedRequest) -> HttpResponse:
    """The second step of signing in, for users who turned two-factor sign-in on."""
    device = confirmed_device(request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if device is None or request.user.is_verified():  # type: ignore[attr-defined]  # OTPMiddleware
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if verify(device, form.cleaned_data["code"]):
            otp_login(request, device)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        _wrong_code(form)
    status = 400 if form.errors else 200
    return render(
        request, "accounts/otp_verify.html", {"form": form, "next": next_url}, status=status
    )


@login_required
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    """The user's API tokens (接口令牌): when made, until when, last used; revocable."""
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "accounts/tokens.html", {"tokens": rows})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token=token)
    messages.success(request, _("令牌已吊销，使用它的程序将无法再访问。"))
    return redirect(reverse("account_tokens"))
