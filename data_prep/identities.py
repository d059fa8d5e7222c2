"""Who is in each photo: the identity manifest beside a photo folder (`faces/celeba` → `faces/celeba_manifest.csv`).

The build splits training and validation by person with it, and the evaluation's two-sample test halves the
people with it, so that no classifier or generator is scored on someone it has seen.
"""

from __future__ import annotations

import csv
from pathlib import Path


def read_identities(csv_path: Path) -> dict[str, str]:
    """File name -> identity from a CSV with columns ``file`` and ``identity``."""
    with csv_path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"file", "identity"} - set(reader.fieldnames or ())
        if missing:
            raise SystemExit(f"{csv_path}: missing column(s) {', '.join(sorted(missing))}")
        return {row["file"]: row["identity"] for row in reader}


def identities_beside(src: Path) -> Path:
    """Where the identity CSV of a photo folder is looked for by default: faces/celeba -> faces/celeba_manifest.csv."""
    return src.resolve().parent / f"{src.resolve().name}_manifest.csv"
