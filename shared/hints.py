"""Hints on demand: ``make hint LAB=1.1 EX=2`` shows the next level of one exercise's hints.

Each lab keeps its graded hints in one file, ``<lab>/hints.md``, so that neither the README nor an
editor shows the answer before the learner has tried::

    # Hints for lab 1.1: lab1_tensors

    ## Exercise 2: broadcasting

    ### Hint 1
    A nudge.

    ### Hint 2
    More.

    ### Hint 3
    Nearly the answer.

Every call shows the next level not yet seen (the first call, the nudge) and remembers it in a
state file git ignores (``.lab_state/hints.json`` at the repository root, or under
``$LAB_STATE_DIR``); ``make progress`` counts the levels seen. ``LEVEL=k`` shows one level again.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from shared.labs import REPO_ROOT, LabInfo

_EXERCISE = re.compile(r"^## Exercise (\d+)\b[:.]?\s*(.*)$")
_HINT = re.compile(r"^### (.+?)\s*$")


class HintFileError(ValueError):
    """A hints.md that does not follow the layout above."""


def hint_file(lab: LabInfo) -> Path:
    return lab.path / "hints.md"


def parse_hints(text: str) -> dict[int, tuple[str, list[tuple[str, str]]]]:
    """``hints.md`` text -> {exercise: (title, [(hint title, body), ...])}, in file order."""
    result: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    exercise: int | None = None
    current: list[str] | None = None
    for line in text.splitlines():
        m = _EXERCISE.match(line)
        if m:
            exercise = int(m.group(1))
            if exercise in result:
                raise HintFileError(f"exercise {exercise} appears twice")
            result[exercise] = (m.group(2).strip(), [])
            current = None
            continue
        m = _HINT.match(line)
        if m and exercise is not None:
            current = []
            result[exercise][1].append((m.group(1), current))  # type: ignore[arg-type]
            continue
        if current is not None:
            current.append(line)
    return {n: (title, [(h, "\n".join(body).strip()) for h, body in hints]) for n, (title, hints) in result.items()}


def lab_hints(lab: LabInfo) -> dict[int, tuple[str, list[tuple[str, str]]]]:
    path = hint_file(lab)
    return parse_hints(path.read_text(encoding="utf-8")) if path.is_file() else {}


def state_path() -> Path:
    base = os.environ.get("LAB_STATE_DIR")
    return Path(base) / "hints.json" if base else REPO_ROOT / ".lab_state" / "hints.json"


def _load_state() -> dict[str, dict[str, int]]:
    try:
        return json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(state: dict[str, dict[str, int]]) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def levels_seen(lab: LabInfo, exercise: int) -> int:
    return int(_load_state().get(lab.rel, {}).get(str(exercise), 0))


def hints_used(lab: LabInfo) -> tuple[int, int]:
    """(levels seen, levels available) over all exercises of ``lab``."""
    hints = lab_hints(lab)
    seen = _load_state().get(lab.rel, {})
    return sum(min(int(seen.get(str(n), 0)), len(h)) for n, (_, h) in hints.items()), sum(len(h) for _, h in hints.values())


def cmd_hint(lab: LabInfo, exercise: int | None, level: str | None = None) -> int:
    """Print the next hint (or ``level``) of ``exercise``; without an exercise, what each one has."""
    hints = lab_hints(lab)
    if not hints:
        print(f"lab {lab.short} has no hints file ({hint_file(lab).relative_to(lab.root)})")
        return 2
    if exercise is None:
        print(f"Hints of lab {lab.short} ({lab.rel}); `make hint LAB={lab.short} EX=N` shows the next one:")
        for n, (title, levels) in sorted(hints.items()):
            print(f"  exercise {n}  {title:<36} {levels_seen(lab, n)}/{len(levels)} seen")
        return 0
    if exercise not in hints:
        print(f"lab {lab.short} has no hints for exercise {exercise} (it has hints for {', '.join(map(str, sorted(hints)))})")
        return 2
    title, levels = hints[exercise]
    seen = levels_seen(lab, exercise)
    if level not in (None, ""):
        if not str(level).isdigit() or not 1 <= int(level) <= len(levels):
            print(f"LEVEL={level}: exercise {exercise} of lab {lab.short} has hint levels 1-{len(levels)}")
            return 2
        show = int(level)
    else:
        show = min(seen + 1, len(levels))
    name, body = levels[show - 1]
    print(f"Exercise {exercise} of lab {lab.short} ({title}): {name} of {len(levels)}\n")
    print(body)
    if show > seen:
        state = _load_state()
        state.setdefault(lab.rel, {})[str(exercise)] = show
        _save_state(state)
    print()
    after = max(seen, show)  # levels seen once this one is shown
    if after < len(levels):
        print(f"(`make hint LAB={lab.short} EX={exercise}` again for hint {after + 1}.)")
    elif seen >= len(levels):
        print(f"(That was the last hint; LEVEL=k shows an earlier one. The reference is "
              f"{lab.rel}/solution/, and `make test-lab LAB={lab.short} EX={exercise}` shows what still fails.)")
    else:
        print(f"(That was the last hint. If you are still stuck, the reference is in {lab.rel}/solution/.)")
    return 0
