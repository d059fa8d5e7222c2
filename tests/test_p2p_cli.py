"""The p2p command lines: `python -m p2p.infer` and `python -m evaluation.evaluate` on tiny checkpoints and data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import PYTHON, REPO_ROOT, face_pair, make_dataset, subprocess_env, tiny_generator

from data_prep.imageio import load_image
from evaluation import evaluate
from evaluation.sheets import tile
from p2p import data as p2p_data
from p2p import infer
from p2p.inference import FaceGenerator


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("checkpoint")
    tiny_generator().save_pretrained(folder)
    return folder


@pytest.fixture
def drawings(tmp_path: Path) -> Path:
    """Two drawings, an unreadable 'image' and a file that is no image at all."""
    folder = tmp_path / "drawings"
    folder.mkdir()
    cv2.imwrite(str(folder / "alice.png"), face_pair(1, size=200)[0])
    cv2.imwrite(str(folder / "bob.jpg"), 255 - face_pair(2, size=300)[0])  # white on black
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (folder / "notes.txt").write_text("not a drawing")
    return folder


@pytest.mark.slow
def test_infer_folder_with_samples_writes_k_files_per_drawing(checkpoint: Path, drawings: Path, tmp_path: Path) -> None:
    out = tmp_path / "faces"
    command = [
        PYTHON,
        "-m",
        "p2p.infer",
        str(drawings),
        "--out",
        str(out),
        "--checkpoint",
        str(checkpoint),
        "--samples",
        "2",
        "--seed",
        "4",
    ]
    result = subprocess.run(command, cwd=REPO_ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["alice_s4.png", "alice_s5.png", "bob_s4.png", "bob_s5.png"]
    assert "skipped" in result.stdout + result.stderr and "broken.png" in result.stdout + result.stderr
    face = cv2.cvtColor(cv2.imread(str(out / "alice_s5.png")), cv2.COLOR_BGR2RGB)
    expected = FaceGenerator.from_pretrained(str(checkpoint), device="cpu").generate(
        [cv2.imread(str(drawings / "alice.png"), cv2.IMREAD_GRAYSCALE)], [5]
    )[0]
    assert np.array_equal(face, expected)  # the CLI's seed N is the API's seed N


def test_infer_single_file_and_errors(
    checkpoint: Path, drawings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "single"
    assert infer.main([str(drawings / "bob.jpg"), "--out", str(out), "--checkpoint", str(checkpoint)]) == 0
    assert [p.name for p in out.iterdir()] == ["bob.png"]
    assert infer.main([str(drawings / "bob.jpg"), "--out", str(out), "--checkpoint", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err
    assert infer.main([str(drawings / "broken.png"), "--out", str(out), "--checkpoint", str(checkpoint)]) == 1


def test_infer_never_overwrites_and_counts_what_it_wrote(
    checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    drawing = face_pair(3)[0]
    for name in ("a.png", "a.jpg", "sub/a.png"):
        cv2.imwrite(str(src / name), drawing)
    out = tmp_path / "out"
    assert infer.main([str(src), "--out", str(out), "--checkpoint", str(checkpoint), "--samples", "2"]) == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert written == ["a_jpg_s0.png", "a_jpg_s1.png", "a_png_s0.png", "a_png_s1.png", "sub/a_s0.png", "sub/a_s1.png"]
    assert "3 drawing(s) → 6 face(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "flags",
    [
        ["--samples", "0"],
        ["--samples", "-2"],
        ["--seed", "99999999999999999999"],
        ["--seed", "-1"],
        ["--seed", str(2**63 - 1), "--samples", "2"],
    ],
)
def test_infer_refuses_bad_numbers_at_the_parser(
    drawings: Path, tmp_path: Path, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        infer.main([str(drawings / "bob.jpg"), "--out", str(tmp_path / "o"), *flags])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("usage:") or "error:" in error


def test_evaluate_writes_metrics_and_contact_sheets(
    checkpoint: Path, drawings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_dataset(tmp_path / "data", train=1, val=3)
    out = tmp_path / "eval"
    argv = ["--data", str(data), "--checkpoint", str(checkpoint), "--out", str(out)]
    argv += ["--seeds", "0,1", "--sketches", str(drawings), "--batch-size", "4"]
    assert evaluate.main(argv) == 0

    result = json.loads((out / "metrics.json").read_text())
    assert result["pairs"] == 3 and result["seeds"] == [0, 1] and result["image_size"] == 64
    for key in ("l1", "psnr", "ssim", "seed_diversity"):
        assert isinstance(result[key], float), key
    assert 0 < result["l1"] < 255 and -1 <= result["ssim"] <= 1 and result["seed_diversity"] > 0
    for key in ("colorfulness", "sharpness", "checkerboard", "face_detection_rate"):
        assert set(result[key]) == {"generated", "photo"}, key
    sketches = result["sketches"]
    assert sketches["count"] == 2  # broken.png skipped, notes.txt ignored
    assert {"colorfulness", "sharpness", "checkerboard", "face_detection_rate", "seed_diversity"} <= set(sketches)

    sheet = cv2.imread(str(out / "contact_sheet.png"))
    tile = evaluate.SHEET_TILE
    assert 3 * tile < sheet.shape[0] < 4 * tile and 4 * tile <= sheet.shape[1] < 5 * tile  # 3 rows × 4 tiles
    assert cv2.imread(str(out / "sketches_sheet.png")) is not None
    printed = capsys.readouterr().out
    assert "PSNR" in printed and "face detected" in printed and "2 human sketches" in printed


def tiles(image: np.ndarray, size: int, top: int, rows: int, row_gap: int, column_steps: list[int]) -> list[np.ndarray]:
    """The size×size tiles of a sheet laid out on a grid (column_steps: x offset of each column from the last)."""
    return [
        image[top + r * (size + row_gap) : top + r * (size + row_gap) + size, x : x + size]
        for r in range(rows)
        for x in np.cumsum([0, *column_steps])
    ]


@pytest.mark.slow
def test_evaluate_publishable_sheets_leave_out_photos_and_folder_drawings(
    checkpoint: Path, drawings: Path, tmp_path: Path
) -> None:
    """Model-card sheets must not republish the datasets' images: no true photo, no drawing read from a folder."""
    data = make_dataset(tmp_path / "data", train=1, val=3)
    out = tmp_path / "eval"
    argv = ["--data", str(data), "--checkpoint", str(checkpoint), "--out", str(out), "--seeds", "0,1"]
    assert evaluate.main([*argv, "--sketches", str(drawings), "--batch-size", "4", "--publishable"]) == 0

    size, small = evaluate.SHEET_TILE, evaluate.SKETCH_TILE
    contact = cv2.cvtColor(cv2.imread(str(out / "contact_sheet.png")), cv2.COLOR_BGR2RGB)
    assert contact.shape[1] == 3 * size + 2 * 2  # drawing | seed 0 | seed 1, and no photo column
    shown = tiles(contact, size, size // 6, 3, 8, [size + 2] * 2)
    prepare = FaceGenerator.from_pretrained(checkpoint).prepare  # the drawings as the sheets show them
    pairs = [p2p_data.read_pair(path) for path in p2p_data.list_pairs(data, "val")]
    photos = [tile(photo, size).astype(int) for _, photo in pairs]
    drawn = [tile(prepare(drawing).pixels, size).astype(int) for drawing, _ in pairs]
    assert min(np.abs(t.astype(int) - d).mean() for t in shown[::3] for d in drawn) < 2  # the built drawings stay
    assert min(np.abs(t.astype(int) - p).mean() for t in shown for p in photos) > 10

    folder = cv2.cvtColor(cv2.imread(str(out / "sketches_sheet.png")), cv2.COLOR_BGR2RGB)
    assert folder.shape[1] == 4 * (2 * small + 2) + 3 * 5  # four (face, face) cells a row
    sketches = [
        tile(prepare(load_image(drawings / name)).pixels, small).astype(int) for name in ("alice.png", "bob.jpg")
    ]
    faces = tiles(folder, small, 0, 1, 5, [small + 2, small + 5, small + 2])[:4]  # the two cells drawn
    assert min(np.abs(t.astype(int) - s).mean() for t in faces for s in sketches) > 10


def test_evaluate_limit_and_bad_arguments(checkpoint: Path, tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data", train=1, val=3)
    out = tmp_path / "eval"
    assert (
        evaluate.main(
            ["--data", str(data), "--checkpoint", str(checkpoint), "--out", str(out), "--limit", "1", "--seeds", "7"]
        )
        == 0
    )
    result = json.loads((out / "metrics.json").read_text())
    assert result["pairs"] == 1 and result["seed_diversity"] is None  # one seed: no diversity to measure
    with pytest.raises(SystemExit):
        evaluate.main(["--data", str(data), "--seeds", "a,b"])
    with pytest.raises(SystemExit):
        evaluate.main(["--data", str(tmp_path / "empty")])
