"""The headers of every web page: scripts and styles from this origin only, nothing inline
(so an injected ``<script>`` or ``style=`` does nothing), forms post only here."""

WEB_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

WEB_HEADERS = {"Content-Security-Policy": WEB_CONTENT_SECURITY_POLICY}
