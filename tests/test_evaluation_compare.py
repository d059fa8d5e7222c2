"""evaluation.compare: a sheet of drawings × models from real files, one seed for every column."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import tiny_generator, write_drawings

from evaluation import compare
from evaluation.compare import TILE, column_label


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folders = []
    for seed in (0, 1):
        folder = tmp_path_factory.mktemp("snapshots") / f"step_{5000 * (seed + 1):07d}"
        tiny_generator(seed=seed).save_pretrained(folder)
        folders.append(folder)
    return folders


@pytest.fixture(scope="module")
def drawings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_drawings(tmp_path_factory.mktemp("drawings"), 5, first=700, size=90)
    (folder / "broken.png").write_bytes(b"not a png")
    return folder


def cells(sheet: np.ndarray, rows: int, columns: int) -> list[list[np.ndarray]]:
    """The TILE×TILE cells of a sheet written by `compare` (header on top, white gaps between cells)."""
    header = TILE // 6
    gap_x = (sheet.shape[1] - columns * TILE) // (columns - 1)
    gap_y = (sheet.shape[0] - header - rows * TILE) // (rows - 1) if rows > 1 else 0
    return [
        [sheet[header + r * (TILE + gap_y) :][:TILE, c * (TILE + gap_x) :][:, :TILE] for c in range(columns)]
        for r in range(rows)
    ]


def test_one_row_per_drawing_one_column_per_model(
    models: list[Path], drawings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sheet.png"
    same = tmp_path / "same.png"
    assert compare.main([str(drawings), str(models[0]), str(models[1]), "--out", str(out), "--count", "6"]) == 0
    assert "skipped: " in capsys.readouterr().err  # the broken file, named, and the rest go on
    assert compare.main([str(drawings), str(models[0]), str(models[0]), "--out", str(same), "--count", "6"]) == 0
    sheet, twice = (cv2.imread(str(p))[:, :, ::-1] for p in (out, same))
    assert sheet.shape == twice.shape
    grid, grid_twice = cells(sheet, 5, 3), cells(twice, 5, 3)
    for row, row_twice in zip(grid, grid_twice, strict=True):
        assert row[0].mean() > 200  # the drawing: dark lines on white paper
        assert np.array_equal(row_twice[1], row_twice[2])  # one seed for every column: same model, same face
        assert np.abs(row[1].astype(int) - row[2]).mean() > 1  # another model, another face


def test_several_seeds_give_each_model_a_column_per_seed(models: list[Path], drawings: Path, tmp_path: Path) -> None:
    out = tmp_path / "seeds.png"
    args = [str(drawings / "d0.png"), str(models[0]), str(models[1]), "--out", str(out), "--seeds", "3,4"]
    assert compare.main(args) == 0
    (row,) = cells(cv2.imread(str(out))[:, :, ::-1], 1, 5)  # drawing | model 0 at seeds 3, 4 | model 1 at 3, 4
    assert np.abs(row[1].astype(int) - row[2]).mean() > 1  # another seed, another face
    once = tmp_path / "seed4.png"
    assert compare.main([str(drawings / "d0.png"), str(models[1]), "--out", str(once), "--seeds", "4"]) == 0
    assert np.array_equal(cells(cv2.imread(str(once))[:, :, ::-1], 1, 2)[0][1], row[4])  # the same face alone
    with pytest.raises(SystemExit):
        compare.main([*args[:-1], "1,-2"])


def test_jpeg_sheet_and_clear_errors(
    models: list[Path], drawings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sheet.jpg"
    assert compare.main([str(drawings / "d0.png"), str(models[0]), "--out", str(out)]) == 0
    assert cv2.imread(str(out)).shape[:2] == (TILE // 6 + TILE, 2 * TILE + 2)  # header, drawing | face
    assert compare.main([str(drawings / "d0.png"), str(tmp_path / "nothing"), "--out", str(out)]) == 2
    assert "no such checkpoint folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        compare.main([str(drawings), str(models[0]), "--out", str(tmp_path / "sheet.gif")])
    assert "written as .png or .jpg" in capsys.readouterr().err


def test_column_label() -> None:
    assert column_label("runs/default/snapshots/step_0015000") == "default 15,000"
    assert column_label("runs/default/step_0015000") == "step 15,000"
    assert column_label("checkpoints/sketch2face-celeba/") == "sketch2face-celeba"
    assert column_label("runs/ablation/base/generator") == "base"  # a run's exported generator: the run
    assert column_label("you/my-model") == "my-model"
