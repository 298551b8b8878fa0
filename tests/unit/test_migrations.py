from alembic.script import ScriptDirectory

from services import admin


def test_one_head():
    """Migrations form one line of history (a second head would make `ozsp migrate` refuse)."""
    assert ScriptDirectory.from_config(admin.alembic_config(None)).get_heads() == ["0010"]
