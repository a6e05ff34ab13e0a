"""Static files with content-hashed names, compressed ahead of time, cached for a year.

`collectstatic` (run by `make run` and by a deployment) writes every file under STATIC_ROOT
twice: as named and with a hash of its content in the name (`js/kitchen.3f9c2a1b7d4e.js`),
stylesheets minified,
plus gzip and Brotli copies of each (whitenoise's CompressedManifestStaticFilesStorage). Pages
link the hashed names (`{% static %}`), so a file can be cached for ever: a change is a new
name. The ES modules import each other by relative path (`./ui.js`); Django rewrites those
imports to the hashed names too (`support_js_module_import_aggregation`), so a page and its
modules load one consistent set of files, whichever of them changed.
"""

import rcssmin
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Outside production a name the manifest lacks (no `collectstatic` yet, as in a server a
    test or the benchmark starts, or a file added since) falls back to its plain URL, which
    whitenoise serves from the apps' static directories (WHITENOISE_USE_FINDERS): slower to
    cache, never a 500. In production a missing name is a deployment fault and raises."""

    support_js_module_import_aggregation = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.manifest_strict = settings.PRODUCTION

    def _save(self, name, content):
        # Stylesheets go out minified (rcssmin, the maintained one; `/*! */` comments kept):
        # their comments explain the rules to engineers and cost every phone's first load
        # (tests/e2e/test_page_weight.py). Every copy: the plain name and the hashed one (whose
        # hash is of the source, so a change to it is still a new name).
        if name.endswith(".css"):
            content.seek(0)  # hashing the name read it to its end
            content = ContentFile(rcssmin.cssmin(content.read().decode("utf-8")).encode("utf-8"))
        return super()._save(name, content)

    def url(self, name, force=False):
        try:
            return super().url(name, force)
        except ValueError:  # not collected: the manifest or the file under STATIC_ROOT
            if settings.PRODUCTION:
                raise
            return FileSystemStorage.url(self, name)
