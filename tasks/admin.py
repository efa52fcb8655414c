"""Support staff's view of tasks."""
from django.contrib import admin

from .models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "user_id", "is_completed", "created_at", "updated_at"]
    list_filter = ["is_completed", "created_at", "updated_at"]
    search_fields = ["=user_id", "title", "description"]
    readonly_fields = ["user_id", "created_at", "updated_at"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
