"""contracts/flk.md lists every fixed message text of services/flk/messages.py."""

from pathlib import Path

from services.flk import messages as M

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "flk.md"


def test_every_message_is_in_the_contract():
    text = CONTRACT.read_text(encoding="utf-8")
    fixed = [v for k, v in vars(M).items() if k.isupper() and isinstance(v, str)]
    fixed += list(M.DUL_SERIES_FORMATS.values())
    missing = [m for m in fixed if m not in text]
    assert not missing, missing
