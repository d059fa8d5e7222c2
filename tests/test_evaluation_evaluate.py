"""evaluation.evaluate end to end on a tiny model and dataset: people and styles from the build's manifest,
two-sample tests per set, per style and per seed, folder sets, and the same numbers on every run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import make_dataset, tiny_generator, write_drawings

from data_prep import build
from data_prep.imageio import load_image
from evaluation import evaluate, realism, scoreboard, sheets
from p2p.data import list_pairs, read_pair
from p2p.inference import FaceGenerator


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("checkpoint")
    tiny_generator().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset whose manifest says: val = 4 photos of 4 people, each drawn in two styles; train = 6 photos
    of 3 other people, one style."""
    root = make_dataset(tmp_path_factory.mktemp("data"), train=6, val=8)
    pairs = [
        {"output": f"val/{i:04d}.jpg", "file": f"val{i // 2}.jpg", "person": f"person{i // 2}", "method": method}
        for i, method in enumerate(["canny", "xdog"] * 4)
    ]
    pairs += [
        {"output": f"train/{i:04d}.jpg", "file": f"train{i}.jpg", "person": f"other{i // 2}", "method": "xdog"}
        for i in range(6)
    ]
    manifest = {"parameters": {"jpeg_quality": 95}, "pairs": pairs}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.fixture(scope="module")
def drawings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_drawings(tmp_path_factory.mktemp("mouse"), 6, first=500, size=120)


def test_pair_sources_from_the_manifest_and_without_it(data: Path, tmp_path: Path) -> None:
    sources = evaluate.pair_sources(data, list_pairs(data, "val"))
    assert [s.person for s in sources] == [
        "person0",
        "person0",
        "person1",
        "person1",
        "person2",
        "person2",
        "person3",
        "person3",
    ]
    assert [s.style for s in sources[:2]] == ["canny", "xdog"] and sources[1].photo == "val0.jpg"
    unique = evaluate.unique_photos(data, list_pairs(data, "val"))
    assert [(photo, path.name) for photo, (path, _) in unique.items()] == [
        (f"val{k}.jpg", f"{2 * k:04d}.jpg") for k in range(4)
    ]  # the first pair of each photo, as validation reads it
    bare = make_dataset(tmp_path / "bare", train=0, val=2)
    assert [(s.photo, s.person, s.style) for s in evaluate.pair_sources(bare, list_pairs(bare, "val"))] == [
        ("0000.jpg", "0000.jpg", None),
        ("0001.jpg", "0001.jpg", None),
    ]
    several = make_dataset(tmp_path / "several", train=0, val=2)  # data_prep.build of several folders
    pairs = [
        {"output": f"val/{i:04d}.jpg", "file": f"more/val{i}.jpg", "person": f"more/id{i}", "method": "xdog"}
        for i in range(2)
    ]
    pairs[1].pop("person")  # a build without identities: the photo is its own person
    (several / "manifest.json").write_text(json.dumps({"pairs": pairs}))
    assert [s.person for s in evaluate.pair_sources(several, list_pairs(several, "val"))] == [
        "more/id0",
        "more/val1.jpg",
    ]


def test_faces_are_compressed_as_the_build_stores_the_photos() -> None:
    assert realism.JPEG_QUALITY == build.JPEG_QUALITY


def tiny_evaluation(checkpoint: Path, data: Path, drawings: Path) -> list[str]:
    """evaluation.evaluate's arguments for the tiny model on the tiny data: two seeds, 32 px, two halvings of the
    people per two-sample test, the drawings as 'mouse'."""
    inputs = ["--data", str(data), "--checkpoint", str(checkpoint), "--drawings", f"mouse={drawings}"]
    return [*inputs, "--seeds", "0,1", "--sizes", "32", "--splits", "2"]


@pytest.mark.slow
def test_every_set_is_scored_and_a_rerun_gives_the_same_numbers(
    checkpoint: Path, data: Path, drawings: Path, tmp_path: Path
) -> None:
    argv = [*tiny_evaluation(checkpoint, data, drawings), "--sketches", str(drawings), "--batch-size", "8"]
    assert evaluate.main([*argv, "--out", str(tmp_path / "a")]) == 0
    result = json.loads((tmp_path / "a" / "metrics.json").read_text())

    assert result["pairs"] == 8 and result["two_sample_test"]["sizes"] == [32] and result["degrid"] is True
    main = result["realism"]["32"]
    assert main["counts"] == {"generated": 8, "real": 4}  # each photo once, though drawn twice
    assert 0 <= main["accuracy"] <= 1 and len(main["folds"]) == 2 and set(main["by_tag"]) == {"canny", "xdog"}
    assert result["two_sample_test"]["splits"] == 2 and main["accuracy"] == pytest.approx(np.mean(main["splits"]))
    assert result["control"]["32"]["counts"] == {"generated": 4, "real": 4}  # photos of other people
    assert set(result["styles"]) == {"canny", "xdog"}
    for style in ("canny", "xdog"):
        assert result["styles"][style]["pairs"] == 4
        assert result["styles"][style]["realism"]["32"]["accuracy"] == main["by_tag"][style]
    assert set(result["per_seed"]) == {"0", "1"} and result["per_seed"]["0"]["realism"] == result["realism"]
    assert set(result["per_seed"]["1"]["realism"]) == {"32"}
    for likeness in (result["likeness"]["face"], result["likeness"]["drawing"]):
        assert likeness["compared"] + likeness["no_reference_face"] == 8  # dlib sees no face in a cartoon photo
    assert result["seed_diversity"] > 0
    own = result["seed_per_drawing"]  # a face of its own seed for every drawing, scored like seed 0's
    assert own["realism"]["32"]["counts"] == {"generated": 8, "real": 4} and 0 <= own["realism"]["32"]["accuracy"] <= 1
    assert own["likeness"]["compared"] + own["likeness"]["no_reference_face"] == 8
    assert own["realism_layout"]["32"]["counts"] == own["realism"]["32"]["counts"]  # the same faces, colours evened

    for folder_set in (result["sketches"], result["drawings"]["mouse"]):
        assert folder_set["count"] == 6 and folder_set["realism"]["32"]["counts"] == {"generated": 6, "real": 4}
        assert folder_set["realism_seed_per_drawing"]["32"]["counts"] == {"generated": 6, "real": 4}
        assert set(folder_set["dlib_detected"]) == {"drawing", "face"}
        assert set(folder_set["likeness_to_drawing"]) >= {"detected", "landmark_error", "same_person"}
        assert 0 <= folder_set["backdrop"] <= 255 and 0 <= folder_set["dark_backdrop"] <= 1
    assert set(result["backdrop"]) == {"generated", "photo"}
    for sheet in ("contact_sheet.png", "sketches_sheet.png", "mouse_sheet.png"):
        assert cv2.imread(str(tmp_path / "a" / sheet)) is not None

    assert evaluate.main([*argv, "--out", str(tmp_path / "b")]) == 0
    again = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert {**again, "seconds": 0} == {**result, "seconds": 0}


def test_quick_and_bad_folder_arguments(checkpoint: Path, data: Path, drawings: Path, tmp_path: Path) -> None:
    out = tmp_path / "quick"
    assert (
        evaluate.main(
            ["--data", str(data), "--checkpoint", str(checkpoint), "--out", str(out)]
            + ["--quick", "--seeds", "3", "--limit", "2", "--no-degrid"]
        )
        == 0
    )
    result = json.loads((out / "metrics.json").read_text())
    assert result["pairs"] == 2 and result["two_sample_test"]["sizes"] == [64] and result["degrid"] is False
    assert result["color_spread"] is None and "skipped" in result["realism"]  # 2 photos: too few for a test
    for bad in (
        ["--drawings", str(drawings)],
        ["--drawings", f"bad name={drawings}"],
        ["--drawings", f"x={tmp_path / 'missing'}"],
        ["--drawings", f"sketches={drawings}", "--sketches", str(drawings)],
        ["--splits", "0"],
    ):
        with pytest.raises(SystemExit):
            evaluate.main(["--data", str(data), "--checkpoint", str(checkpoint), *bad])


def test_faces_in_batches_gives_each_drawing_its_own_seeds(checkpoint: Path, drawings: Path) -> None:
    generator = FaceGenerator.from_pretrained(checkpoint, device="cpu", precision="fp32")
    items = [(generator.prepare(load_image(path)), path.name) for path in sorted(drawings.iterdir())[:5]]
    out = list(evaluate.faces_in_batches(generator, items, lambda i: [0, 100 + i], batch_size=4))
    assert [name for _, name, _ in out] == [name for _, name in items]
    for i, (drawing, _, faces) in enumerate(out):
        assert len(faces) == 2
        alone = generator.generate([drawing, drawing], [0, 100 + i])
        assert all((face == expected).all() for face, expected in zip(faces, alone))
    assert not (out[0][2][1] == generator.generate([items[0][0]], [101])[0]).all(), "the seed is the position's"


def test_spread() -> None:
    assert sheets.spread(list(range(10)), 0) == list(range(10))
    assert sheets.spread(list(range(10)), 3) == [0, 4, 9]
    assert sheets.spread(list(range(3)), 5) == [0, 1, 2]


def scoreboard_table(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[list[str], dict[str, list[str]]]:
    """evaluation.scoreboard's printed table as its header and {row label: cells}."""
    scoreboard.main(argv)
    lines = capsys.readouterr().out.splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return cells[0], {label: values for label, *values in cells[2:]}


@pytest.mark.slow
def test_scoreboard_puts_evaluations_side_by_side(
    checkpoint: Path, data: Path, drawings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tiny"
    assert evaluate.main([*tiny_evaluation(checkpoint, data, drawings), "--out", str(out)]) == 0
    result = json.loads((out / "metrics.json").read_text())
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(result | {"seed_diversity": 12.34}))

    capsys.readouterr()  # evaluate's own report
    header, rows = scoreboard_table([str(out), str(changed)], capsys)
    assert header == ["", "tiny", tmp_path.name]  # a folder is named by itself, a metrics file by its folder
    accuracy, se = result["realism"]["32"]["accuracy"], result["realism"]["32"]["accuracy_se"]
    expected = f"{100 * accuracy:.1f} ± {100 * se:.1f} %"
    assert rows["two-sample 32 px ↓, seed 0"] == [expected, expected]
    one_halving = {key: result["realism"]["32"][key] for key in ("accuracy", "folds")}  # evaluations before 2026-12-05
    old = json.loads(json.dumps(result))
    old["per_seed"]["0"]["realism"] = {"32": one_halving}
    (tmp_path / "old.json").write_text(json.dumps(old))
    folds = one_halving["folds"]
    old_rows = scoreboard_table([str(tmp_path / "old.json")], capsys)[1]
    assert old_rows["two-sample 32 px ↓, seed 0"] == [
        f"{100 * accuracy:.1f} % ({100 * folds[0]:.1f} / {100 * folds[1]:.1f})"
    ]
    assert rows["seed diversity ↑ (0–255)"] == [f"{result['seed_diversity']:.1f}", "12.3"]
    grid = result["checkerboard"]
    assert rows["checkerboard ↓ (faces / photos)"][0] == f"{grid['generated']:.1f} / {grid['photo']:.1f}"
    own = result["seed_per_drawing"]["realism"]["32"]["accuracy"]
    assert rows["two-sample 32 px ↓, a seed per drawing"][0].startswith(f"{100 * own:.1f} ±")
    layout = result["seed_per_drawing"]["realism_layout"]["32"]["accuracy"]
    label = "two-sample 32 px ↓, a seed per drawing, colour statistics removed (layout only)"
    assert rows[label][0].startswith(f"{100 * layout:.1f} ±")
    assert "two-sample 32 px ↓, seed 1" in rows and "drawings 'mouse': two-sample 32 px ↓" in rows
    dark = result["drawings"]["mouse"]["dark_backdrop"]
    assert rows["drawings 'mouse': faces on a dark backdrop ↓, every seed"][0] == f"{100 * dark:.0f} %"
    assert not any(label.startswith("same person") for label in rows)  # dlib finds no face in cartoons: no row

    # Each face's likeness is kept beside metrics.json (none here: dlib finds no face in these cartoons)...
    kept = json.loads((out / "likeness.json").read_text())
    assert kept == {"seed 0": {}, "seed 1": {}, "own seed": {}, "mouse": {}}
    # ...so that two models are compared drawing by drawing: three faces of two runs, [distance, landmark error].
    kept["seed 0"] = {"a.jpg": [0.5, 0.05], "b.jpg": [0.7, 0.08], "c.jpg": None}
    (out / "likeness.json").write_text(json.dumps(kept))
    faces = {"a.jpg": [0.5, 0.04], "b.jpg": [0.55, 0.06], "c.jpg": [0.58, 0.07], "d.jpg": [0.1, 0.01]}
    (tmp_path / "likeness.json").write_text(json.dumps(kept | {"seed 0": faces}))
    rows = scoreboard_table([str(out), str(changed)], capsys)[1]
    # same person: a stays, b and c become the person; landmarks: a and b 0.01 and 0.02 closer (c had no face)
    assert rows["same person ↑, change from the first column, seed 0"] == ["–", "+66.7 ± 33.3 pts"]
    assert rows["landmark error ↓, change from the first column, seed 0"] == ["–", "-0.0150 ± 0.0050"]
    assert not any("change from the first column, seed 1" in label for label in rows)  # no faces kept: no row

    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(SystemExit, match="not a evaluation.evaluate metrics.json"):
        scoreboard.main([str(tmp_path / "broken.json")])


def test_a_sheet_label_too_wide_for_its_column_is_shortened_in_the_middle() -> None:
    assert sheets.fitted("seed 2", 120, 0.32) == "seed 2"
    long = "sketch2face-celeba, seed 1"
    short = sheets.fitted(long, 120, 0.32)
    assert ".." in short and short.startswith("sketch") and short.endswith("seed 1")
    assert cv2.getTextSize(short, cv2.FONT_HERSHEY_SIMPLEX, 0.32, 1)[0][0] <= 120
    header = sheets.sheet([[np.zeros((8, 8, 3), np.uint8)] * 2], 128, labels=[long, long])[: 128 // 6]
    assert (header[:, 125:133] == 255).all()  # the first label ends before the second column's starts


@pytest.mark.slow
def test_folders_are_also_tested_against_the_re_framed_photos_when_asked(
    checkpoint: Path, data: Path, drawings: Path, tmp_path: Path
) -> None:
    framed = tmp_path / "framed"
    shutil.copytree(data, framed)
    manifest = json.loads((framed / "manifest.json").read_text())
    for i, pair in enumerate(manifest["pairs"]):  # the xdog pair of each validation photo is re-framed
        pair["reframe"] = {"scale": 0.7, "shift": 0.0} if pair["output"].startswith("val/") and i % 2 else None
    (framed / "manifest.json").write_text(json.dumps(manifest))
    argv = [*tiny_evaluation(checkpoint, data, drawings), "--framed-photos", str(framed), "--out", str(tmp_path / "a")]
    assert evaluate.main(argv) == 0
    result = json.loads((tmp_path / "a" / "metrics.json").read_text())
    mouse = result["drawings"]["mouse"]
    for key in ("realism_framed", "realism_framed_seed_per_drawing", "realism_framed_layout"):
        assert mouse[key]["32"]["counts"] == {"generated": 6, "real": 4}  # one re-framed photo per person
    reference = evaluate.framed_photos(framed, "val", 32)  # the odd pairs' photo halves, one per person
    assert reference.groups == [f"person{k}" for k in range(4)]
    expected = [
        cv2.resize(read_pair(framed / "val" / f"{2 * k + 1:04d}.jpg")[1], (32, 32), interpolation=cv2.INTER_AREA)
        for k in range(4)
    ]
    assert all(np.array_equal(a, b) for a, b in zip(reference.images, expected, strict=True))
    assert result["two_sample_test"]["framed_photos"] == str(framed)
    assert result["control_framed"]["32"]["counts"] == {"generated": 4, "real": 4}  # re-framed vs as they are
    with pytest.raises(SystemExit):  # no re-framed pairs in the plain dataset: said, not an empty test
        evaluate.main([*tiny_evaluation(checkpoint, data, drawings), "--framed-photos", str(data)])


def test_a_capped_sample_keeps_a_fixed_choice_of_images_and_their_people() -> None:
    sample = realism.Sample(8, [np.full((8, 8, 3), i, np.uint8) for i in range(10)], list("aabbccddee"), [""] * 10)
    assert sample.capped(10) is sample
    capped = sample.capped(4)
    assert [int(image[0, 0, 0]) for image in capped.images] == realism.kept(10, 4) == sorted(realism.kept(10, 4))
    assert capped.groups == [sample.groups[i] for i in realism.kept(10, 4)]
