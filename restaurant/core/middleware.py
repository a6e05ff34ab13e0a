"""Browser-side limits on every response, and methods no page should answer.

- Content-Security-Policy: scripts, styles, connections and images from this origin only (plus
  data:/blob: images), no plugins, no <base>, no framing, forms post here. Our templates keep
  their scripts in static ES modules (JSON data blocks are not scripts) and have no style
  attributes; the JS sets styles through CSSOM (`element.style`), which a policy does not
  block. `connect-src 'self'` covers the same-origin ws:/wss: sockets in current browsers
  (CSP Level 3). The admin of Django 5.2 has no inline scripts either; its one inline <style>
  (the changelist without actions: a column width) is cosmetic and left blocked.
  A dish image from another site (Dish.image may be a URL) would be blocked too: add its
  origin to CONTENT_SECURITY_POLICY's img-src in the settings.
- Referrer-Policy: table links carry the table's token in their path; no other site sees it.
- Permissions-Policy: nothing here uses the camera, microphone or location.
- TRACE/TRACK echo requests (cookies included) and CONNECT asks for a proxy: 405 before any
  view or static file handler runs.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from django.utils.deprecation import MiddlewareMixin

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
REFUSED_METHODS = frozenset({"TRACE", "TRACK", "CONNECT"})
ALLOWED_METHODS = ["GET", "HEAD", "POST", "OPTIONS"]


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Adds the policy headers to every response and refuses TRACE, TRACK and CONNECT.
    (MiddlewareMixin makes it async-capable: no thread hop under ASGI.)"""

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        if request.method in REFUSED_METHODS:
            return HttpResponseNotAllowed(ALLOWED_METHODS)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponseBase):
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
