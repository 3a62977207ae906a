"""Optional TOTP two-factor sign-in (django-otp) for county and school administrators."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.orgs.models import Membership, Role

# Roles that may protect their account with a second factor (the ones that see the most).
TWO_FACTOR_ROLES = (Role.COUNTY_ADMIN, Role.PRINCIPAL, Role.SCHOOL_ADMIN)
DEVICE_NAME = "totp"


def two_factor_allowed(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or Membership.objects.filter(user=user, role__in=TWO_FACTOR_ROLES).exists()
    )


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: User) -> TOTPDevice:
    """The user's unconfirmed device being set up, created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def qr_svg(text: str) -> str:
    """A QR code of ``text`` as inline SVG markup (made here: no CDN, no script)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def verify(device: TOTPDevice, code: str) -> bool:
    """Whether the code is right; django-otp throttles repeated wrong codes."""
    code = "".join(code.split())
    if not code.isdigit():
        return False
    return device.verify_is_allowed()[0] and device.verify_token(code)
