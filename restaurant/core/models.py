"""Abstract models shared by the apps above (core holds no tables of its own)."""

from django.db import models
from django.utils.translation import get_language


class Bilingual(models.Model):
    """Chinese name first (the restaurant's language), English where the restaurant gives one."""

    name = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str | None = None) -> str:
        language = language or get_language() or "zh-hans"
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name
