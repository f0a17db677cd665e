"""Every action the code writes to the audit log has a readable, translated name in /audit."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.reports import AUDIT_ACTIONS

ROOT = Path(__file__).resolve().parents[2]
CALL = re.compile(r"\brecord\((.{0,300}?)\)", re.S)
CODE = re.compile(r'(?<![f\w])"([a-z_]+(?:\.[a-z_]+)*)"')


def recorded_codes() -> set[str]:
    codes: set[str] = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py")]:
        for call in CALL.finditer(path.read_text(encoding="utf-8")):
            args = call.group(1)
            parts = args.split(",")
            # record(session, actor, ACTION, ...): the action is the third argument.
            if args.lstrip().startswith("session") and len(parts) >= 3:
                codes.update(CODE.findall(parts[2]))
    return codes


def test_every_audit_code_has_a_label() -> None:
    codes = recorded_codes()
    assert {"role.change", "group.request.approve", "broadcast.stop"} <= codes
    missing = sorted(code for code in codes if code not in AUDIT_ACTIONS)
    assert missing == []
