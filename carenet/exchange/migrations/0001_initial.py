import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportBatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("county_code", models.CharField(db_index=True, max_length=6)),
                ("filename", models.CharField(max_length=255, verbose_name="文件名")),
                ("file", models.FileField(blank=True, upload_to="imports/", verbose_name="文件")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "等待处理"),
                            ("processing", "正在导入"),
                            ("complete", "已完成"),
                            ("failed", "失败"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=16,
                        verbose_name="状态",
                    ),
                ),
                ("created", models.PositiveIntegerField(default=0, verbose_name="新建")),
                ("updated", models.PositiveIntegerField(default=0, verbose_name="更新")),
                ("skipped", models.PositiveIntegerField(default=0, verbose_name="跳过")),
                ("rejected", models.PositiveIntegerField(default=0, verbose_name="拒绝")),
                ("processed", models.PositiveIntegerField(default=0, verbose_name="已处理行数")),
                ("total", models.PositiveIntegerField(default=0, verbose_name="总行数")),
                ("error", models.TextField(blank=True, verbose_name="错误")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="上传时间")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                (
                    "school",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="import_batches",
                        to="orgs.org",
                        verbose_name="学校",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="import_batches",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="导入人",
                    ),
                ),
            ],
            options={
                "verbose_name": "导入批次",
                "verbose_name_plural": "导入批次",
                "ordering": ["-created_at"],
            },
        ),
    ]
