"""shared/quiet.py keeps the Eventlet deprecation notice out of a process's output."""

import subprocess
import sys

from tests.support import ROOT


def _stderr(code):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60).stderr


def test_the_notice_is_filtered_and_only_it():
    quiet = _stderr(
        "from shared.quiet import quiet_eventlet; quiet_eventlet(); import eventlet, nameko.rpc; "
        "import warnings; warnings.warn('other')"
    )
    assert "Eventlet is deprecated" not in quiet and "UserWarning: other" in quiet
