from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[2]


def test_one_head():
    """Migrations form one line of history (a second head would make `ozsp migrate` refuse)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "services/journal/migrations"))
    assert ScriptDirectory.from_config(cfg).get_heads() == ["0009"]
