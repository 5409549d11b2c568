"""Server-rendered web pages: Jinja2 templates, static files and vendored front-end assets.

STATIC_DIR is served at /static (vendor/ holds htmx, mermaid, the NL Design System CSS and the
Noto Sans font; see vendor/README.md); TEMPLATES_DIR holds base.html, which every page extends.
"""

from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "WEB_DIR"]
