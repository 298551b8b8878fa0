"""Keep process output free of the Eventlet deprecation notice.

eventlet >= 0.37 calls warnings.warn(<7-line text>, EventletDeprecationWarning) once at import (eventlet/__init__.py);
every service process printed it. Call quiet_eventlet() where a process starts, before eventlet or nameko is
imported. Pytest gets the same filter from pyproject.toml (filterwarnings).
"""

import warnings

# The text starts with a newline; warnings filters match the message from its start, case-insensitively.
EVENTLET_NOTICE = r"\s*Eventlet is deprecated"


def quiet_eventlet() -> None:
    warnings.filterwarnings("ignore", message=EVENTLET_NOTICE)
