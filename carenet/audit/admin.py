"""The access log in the admin: read-only. Nobody adds, changes or deletes entries."""

from django.contrib import admin

from carenet.audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "child_ref", "county_code", "ip")
    list_filter = ("action",)
    search_fields = ("username",)
    date_hierarchy = "at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}
