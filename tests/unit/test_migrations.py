from alembic.script import ScriptDirectory

from services import admin


def test_one_head():
    """Migrations form one line of history (a second head would make `ozsp migrate` refuse)."""
    heads = ScriptDirectory.from_config(admin.alembic_config(None)).get_heads()
    assert len(heads) == 1, heads


def test_history_after_0010_is_a_line():
    """After 0010 every revision has one child: branches that landed side by side were re-chained, not merged."""
    script = ScriptDirectory.from_config(admin.alembic_config(None))
    later = [rev for rev in script.walk_revisions(base="0010", head="heads") if rev.revision != "0010"]
    parents = [parent for rev in later for parent in rev._all_down_revisions]
    assert len(parents) == len(set(parents)), parents
