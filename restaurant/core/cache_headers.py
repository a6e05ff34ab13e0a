"""Cache-Control for static files served by whitenoise (WHITENOISE_ADD_HEADERS_FUNCTION).

A name with a content hash (restaurant/core/staticfiles.py) never changes meaning: cached for a
year, `immutable` (whitenoise marks those; it would say ten years). Other names keep
WHITENOISE_MAX_AGE. Kept free of imports: the settings module loads it.
"""

IMMUTABLE = "public, max-age=31536000, immutable"


def cache_headers(headers, path: str, url: str) -> None:
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = IMMUTABLE
