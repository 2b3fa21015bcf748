"""The log viewer: a web page and a JSON API over the central log (``logs/central/``)."""

from logview.app import create_app
from logview.settings import Settings

__all__ = ["Settings", "create_app"]
