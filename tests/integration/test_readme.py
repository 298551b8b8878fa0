"""The README's API example runs as written (against this run's stack instead of make run's addresses)."""

import os
import re
import subprocess
import sys

import pytest

from tests import support

pytestmark = pytest.mark.integration


def readme_block(marker):
    text = open(os.path.join(support.ROOT, "README.md"), encoding="utf-8").read()
    return re.search(rf"<!-- {marker} -->\n```python\n(.*?)```", text, re.S).group(1)


def test_the_readme_dev_sign_in_and_api_example_works(stack):
    code = readme_block("api-example")
    assert "/dev/sign" in code and "127.0.0.1:8000" in code and "127.0.0.1:8100" in code
    code = code.replace("http://127.0.0.1:8000", stack.base_url).replace("http://127.0.0.1:8100", stack.emulator_url)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("received", "sent", "answered"), done.stdout
