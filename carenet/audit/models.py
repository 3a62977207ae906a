"""Access log, consent (legal basis) and data subject requests for child files.

The access log is append-only: no view changes it, the admin shows it read-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.children.models import Child
from carenet.lib.crypto import EncryptedCharField


class AccessAction(models.TextChoices):
    VIEW_FILE = "view_file", _("查看档案")
    VIEW_CARD = "view_card", _("查看联系卡")
    VIEW_EDIT_FORM = "view_edit_form", _("打开档案编辑页")
    REVEAL_CONTACTS = "reveal_contacts", _("显示证件号和电话")
    VIEW_HISTORY = "view_history", _("查看变更记录")
    API_VIEW = "api_view", _("接口读取档案")
    EXPORT = "export", _("导出")
    DOCUMENT = "document", _("生成文书")
    CONSENT = "consent", _("登记处理依据")
    DATA_REQUEST = "data_request", _("个人信息请求")
    ARCHIVE = "archive", _("归档")
    ANONYMISE = "anonymise", _("匿名化")
    KEY_ROTATION = "key_rotation", _("密钥轮换")
    ORG_CHANGE = "org_change", _("调整学校和班级")
    # People (carenet.accounts.people): who created, changed or stopped whose account.
    STAFF_IMPORT = "staff_import", _("导入人员")
    PERSON_CREATE = "person_create", _("新建人员")
    PERSON_ROLES = "person_roles", _("变更人员角色")
    PERSON_DEACTIVATE = "person_deactivate", _("停用账户")
    PERSON_REACTIVATE = "person_reactivate", _("恢复账户")
    PERSON_RESET = "person_reset", _("重置激活码")
    ACCOUNT_ACTIVATE = "account_activate", _("激活账户")
    LEAVE = "leave", _("离开在册")
    SCHOOL_YEAR = "school_year", _("学年升级")
    # An ID number on file that the user may not see was refused (no ID is logged).
    ID_REFUSED = "id_refused", _("身份证号无法使用")
    # A child's path (carenet/web/views_path.py): transfers, dropout and return.
    TRANSFER_REQUEST = "transfer_request", _("申请转学")
    TRANSFER_DECIDE = "transfer_decide", _("处理转学")
    TRANSFER_LOOKUP = "transfer_lookup", _("按身份证号申请转入")
    DROP_OUT = "drop_out", _("登记辍学")
    RETURN_TO_SCHOOL = "return_to_school", _("登记复学")


class AccessLog(models.Model):
    """Who read or did what to which child file, when and from where. Never edited."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("用户"),
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    county_code = models.CharField(_("县级区划代码"), max_length=6, blank=True, db_index=True)
    child = models.ForeignKey(
        Child,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("儿童"),
    )
    child_ref = models.PositiveBigIntegerField(_("儿童编号"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=32, choices=AccessAction.choices)
    # Short free text; never an ID number or a phone (callers pass fixed words).
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("访问日志")
        verbose_name_plural = _("访问日志")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["child_ref", "at"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"


class LegalBasis(models.TextChoices):
    GUARDIAN_CONSENT = "guardian_consent", _("监护人同意")
    STATUTORY_DUTY = "statutory_duty", _("履行法定职责")
    OTHER = "other", _("其他")


class Consent(models.Model):
    """The legal basis for processing a child's file (PIPL art. 13, 31)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="consents")
    county_code = models.CharField(max_length=6, db_index=True)
    basis = models.CharField(_("处理依据"), max_length=24, choices=LegalBasis.choices)
    given_by = models.CharField(_("同意人（监护人）"), max_length=50, blank=True)
    given_on = models.DateField(_("日期"))
    note = models.CharField(_("凭证或说明"), max_length=200, blank=True)
    withdrawn_on = models.DateField(_("撤回日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("处理依据")
        verbose_name_plural = _("处理依据")
        ordering = ["-given_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_basis_display()} {self.given_on}"


class RequestKind(models.TextChoices):
    CORRECT = "correct", _("更正")
    DELETE = "delete", _("删除")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DONE = "done", _("已办结")
    REFUSED = "refused", _("不予办理")


class DataRequest(models.Model):
    """A guardian's request to correct or delete a child's information (PIPL art. 46, 47)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="data_requests")
    county_code = models.CharField(max_length=6, db_index=True)
    kind = models.CharField(_("请求类型"), max_length=16, choices=RequestKind.choices)
    requester_name = models.CharField(_("请求人"), max_length=50)
    requester_relation = models.CharField(_("与儿童关系"), max_length=20, blank=True)
    received_on = models.DateField(_("收到日期"))
    # What to correct may itself be personal data: encrypted like the file.
    content = EncryptedCharField(_("请求内容"), blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办理人"),
    )
    handled_on = models.DateField(_("办结日期"), null=True, blank=True)
    response = EncryptedCharField(_("答复"), blank=True, default="")

    class Meta:
        verbose_name = _("个人信息请求")
        verbose_name_plural = _("个人信息请求")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["status", "received_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.requester_name} {self.received_on}"
