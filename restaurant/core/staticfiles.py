"""Static files with content-hashed names, compressed ahead of time, cached for a year.

`collectstatic` (run by `make run` and by a deployment) writes every file under STATIC_ROOT
twice: as named and with a hash of its content in the name (`js/kitchen.3f9c2a1b7d4e.js`),
plus gzip and Brotli copies of each (whitenoise's CompressedManifestStaticFilesStorage). Pages
link the hashed names (`{% static %}`), so a file can be cached for ever: a change is a new
name. The ES modules import each other by relative path (`./ui.js`); Django rewrites those
imports to the hashed names too (`support_js_module_import_aggregation`), so a page and its
modules load one consistent set of files, whichever of them changed.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
