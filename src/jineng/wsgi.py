import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
application = get_wsgi_application()


def _import_views() -> None:
    """Import the URLconf, and with it every view and API module, now rather than on the first request.

    That import costs seconds of CPU; under gunicorn's preload_app (scripts/gunicorn.conf.py) it is
    paid once in the master and every worker — a recycled one too — starts with it done, instead of
    each worker's first request waiting for it.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (the property imports the modules)


_import_views()
