"""Evaluations side by side: `python -m evaluation.scoreboard runs/eval-a runs/eval-b ...` prints a Markdown table.

Rows are the figures a change is judged by (realism, likeness and diversity per seed, per drawing
style, then the sketch and drawing folders), columns the `evaluation.evaluate` outputs given (folders with a
metrics.json, or the files). Each figure comes with its noise where the evaluation has it: the two folds
of a two-sample test (± the standard error of its mean over several halvings of the people; for older
evaluations with one halving, its two folds: the classifier is trained on one half of the people and
tested on the other, then the halves swap, so the folds differ by how alike the two halves are), and ± one
standard error for the same-person rate and the landmark error, so that a difference is read against it
before it is believed.
Where the evaluations kept each face's likeness (`likeness.json`), every column after the first also gets
the paired change from the first: the same drawings and seeds compared face by face, whose standard error
is about half the difference of two separate rates' (a third for landmarks): it leaves out how hard each
drawing is to recognise.
Paste the table into a model card.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from evaluation.likeness import PER_FACE_FILE, paired_change

Row = tuple[str, Callable[[dict], str]]
PER_FACE = "per_face"  # where `load` puts likeness.json's contents


def load(path: str | Path) -> dict:
    """metrics.json from an evaluation folder (or the file itself), with likeness.json beside it as PER_FACE."""
    path = Path(path)
    file = path / "metrics.json" if path.is_dir() else path
    try:
        metrics = json.loads(file.read_text())
        per_face = file.with_name(PER_FACE_FILE)
        if per_face.is_file():
            metrics[PER_FACE] = json.loads(per_face.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise SystemExit(f"{file}: not a evaluation.evaluate metrics.json ({err})") from err
    return metrics


def get(metrics: dict, *keys: str) -> object:
    for key in keys:
        if not isinstance(metrics, dict) or key not in metrics:
            return None
        metrics = metrics[key]
    return metrics


def two_sample(test: object, size: str) -> str:
    """'89.3 ± 0.9 %': the mean accuracy over several halvings of the people ± its standard error, or for
    an evaluation with one halving (before 2026-12-05) '97.8 % (96.4 / 99.2)': its accuracy and two folds."""
    result = get(test, size) if isinstance(test, dict) else None
    if not result or result.get("accuracy") is None:
        return "–"
    if result.get("accuracy_se") is not None:
        return f"{100 * result['accuracy']:.1f} ± {100 * result['accuracy_se']:.1f} %"
    folds = " / ".join(f"{100 * f:.1f}" for f in result.get("folds", []))
    return f"{100 * result['accuracy']:.1f} %" + (f" ({folds})" if folds else "")


def same_person(likeness: object) -> str:
    """The same-person share ± its binomial standard error over the compared faces."""
    share, n = get(likeness, "same_person"), get(likeness, "compared")
    if share is None:
        return "–"
    se = f" ± {100 * math.sqrt(share * (1 - share) / n):.1f}" if n else ""
    return f"{100 * share:.1f}{se} %"


def landmark_error(likeness: object) -> str:
    value, se = get(likeness, "landmark_error"), get(likeness, "landmark_error_se")
    if value is None:
        return "–"
    return f"{value:.3f}" + (f" ± {se:.3f}" if se is not None else "")


def share(value: object) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def number(value: object) -> str:
    return "–" if value is None else f"{value:.1f}"


def grid(value: object) -> str:
    """'48.8 / 0.4': the faces' and the photos' checkerboard figure."""
    if not isinstance(value, dict):
        return "–"
    return f"{number(value.get('generated'))} / {number(value.get('photo'))}"


def change(reference: dict, run: dict, group: str, figure: str) -> str:
    """'+3.0 ± 1.1 pts' (same person) or '-0.0040 ± 0.0010' (landmark error): `run` minus `reference`,
    face by face over the drawings both scored in `group`; '–' for the reference itself or without data."""
    before, after = get(reference, PER_FACE, group), get(run, PER_FACE, group)
    if run is reference or not isinstance(before, dict) or not isinstance(after, dict):
        return "–"
    paired = paired_change(before, after)
    value, se = paired[figure], paired[f"{figure}_se"]
    if value is None or se is None:
        return "–"
    if figure == "same_person":
        return f"{100 * value:+.1f} ± {100 * se:.1f} pts"
    return f"{value:+.4f} ± {se:.4f}"


def paired_rows(reference: dict) -> list[Row]:
    """Each likeness figure's change from the first column, face by face, for every set it kept faces of."""
    rows: list[Row] = []
    for group in get(reference, PER_FACE) or {}:
        if group.startswith("seed "):
            where = group
        elif group == "own seed":
            where = "a seed per drawing"
        else:
            where = f"'{group}' vs the drawing"
        rows += [
            (f"{label}, change from the first column, {where}", lambda m, g=group, f=figure: change(reference, m, g, f))
            for label, figure in (("same person ↑", "same_person"), ("landmark error ↓", "landmark_error"))
        ]
    return rows


def rows_for(runs: Sequence[dict]) -> list[Row]:
    """The rows that at least one of the runs has figures for, in reading order."""
    seeds = sorted({str(s) for run in runs for s in run.get("seeds", [])}, key=int)
    styles = sorted({style for run in runs for style in run.get("styles", {})})
    folders = [("sketches", "FS2K sketches")] + sorted(
        {(f"drawings.{name}", f"drawings '{name}'") for run in runs for name in run.get("drawings", {})}
    )
    sizes = sorted({str(size) for run in runs for size in get(run, "two_sample_test", "sizes") or []}, key=int)
    first = sizes[0] if sizes else "64"
    rows: list[Row] = []
    for seed in seeds:
        rows += [
            (
                f"two-sample {size} px ↓, seed {seed}",
                lambda m, s=seed, z=size: two_sample(get(m, "per_seed", s, "realism"), z),
            )
            for size in sizes
        ]
    rows.append(
        (
            f"two-sample {first} px ↓, a seed per drawing",
            lambda m: two_sample(get(m, "seed_per_drawing", "realism"), first),
        )
    )
    rows.append(
        (
            f"two-sample {first} px ↓, a seed per drawing, colour statistics removed (layout only)",
            lambda m: two_sample(get(m, "seed_per_drawing", "realism_layout"), first),
        )
    )
    rows.append((f"control: photos vs other people's, {first} px", lambda m: two_sample(m.get("control"), first)))
    rows.append(
        (f"control: re-framed photos vs the photos, {first} px", lambda m: two_sample(m.get("control_framed"), first))
    )
    for seed in seeds:
        rows += [
            (f"same person ↑, seed {seed}", lambda m, s=seed: same_person(get(m, "per_seed", s, "likeness"))),
            (f"landmark error ↓, seed {seed}", lambda m, s=seed: landmark_error(get(m, "per_seed", s, "likeness"))),
            (f"dlib finds a face, seed {seed}", lambda m, s=seed: share(get(m, "per_seed", s, "likeness", "detected"))),
        ]
    rows += [
        ("same person ↑, a seed per drawing", lambda m: same_person(get(m, "seed_per_drawing", "likeness"))),
        ("landmark error ↓, a seed per drawing", lambda m: landmark_error(get(m, "seed_per_drawing", "likeness"))),
        ("seed diversity ↑ (0–255)", lambda m: number(m.get("seed_diversity"))),
        ("colour spread ↑ (0–255)", lambda m: number(m.get("color_spread"))),
        ("checkerboard ↓ (faces / photos)", lambda m: grid(get(m, "checkerboard"))),
    ]
    for style in styles:
        rows += [
            (f"{style}: two-sample {first} px ↓", lambda m, s=style: two_sample(get(m, "styles", s, "realism"), first)),
            (f"{style}: same person ↑", lambda m, s=style: same_person(get(m, "styles", s, "likeness", "face"))),
        ]
    for key, label in folders:
        path = key.split(".")
        rows += [
            (f"{label}: two-sample {first} px ↓", lambda m, p=path: two_sample(get(m, *p, "realism"), first)),
            (
                f"{label}: two-sample {first} px ↓, a seed per drawing",
                lambda m, p=path: two_sample(get(m, *p, "realism_seed_per_drawing"), first),
            ),
            (
                f"{label}: two-sample {first} px ↓ vs re-framed photos, seed 0 / a seed per drawing",
                lambda m, p=path: " / ".join(
                    two_sample(get(m, *p, key), first) for key in ("realism_framed", "realism_framed_seed_per_drawing")
                ),
            ),
            (
                f"{label}: two-sample {first} px ↓ vs re-framed photos, a seed per drawing, colour statistics removed",
                lambda m, p=path: two_sample(get(m, *p, "realism_framed_layout"), first),
            ),
            (
                f"{label}: same person as the drawing ↑",
                lambda m, p=path: same_person(get(m, *p, "likeness_to_drawing")),
            ),
            (f"{label}: landmark error ↓", lambda m, p=path: landmark_error(get(m, *p, "likeness_to_drawing"))),
            (f"{label}: seed diversity ↑", lambda m, p=path: number(get(m, *p, "seed_diversity"))),
            (f"{label}: checkerboard ↓", lambda m, p=path: number(get(m, *p, "checkerboard"))),
            (f"{label}: backdrop brightness, seed 0 (0–255)", lambda m, p=path: number(get(m, *p, "backdrop"))),
            (f"{label}: faces on a dark backdrop ↓, every seed", lambda m, p=path: share(get(m, *p, "dark_backdrop"))),
        ]
    rows += paired_rows(runs[0])
    return [(label, cell) for label, cell in rows if any(cell(run) != "–" for run in runs)]


def table(runs: Sequence[dict], names: Sequence[str]) -> str:
    """The Markdown table: one row per figure, one column per run."""
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += [f"| {label} | " + " | ".join(cell(run) for run in runs) + " |" for label, cell in rows_for(runs)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("evaluations", nargs="+", help="evaluation.evaluate --out folders (or their metrics.json)")
    args = parser.parse_args(argv)
    runs = [load(path) for path in args.evaluations]
    names = [Path(p).name if Path(p).is_dir() else Path(p).parent.name for p in args.evaluations]
    print(table(runs, names))


if __name__ == "__main__":
    main()
