"""data_prep.build on tiny synthetic folders with broken and unusual files, resume, builds of several folders,
and the eye and mouth boxes of every pair (on real CelebA photos from ../shared/data, never copied)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import CELEBA, needs_faces
from PIL import Image

from data_prep import build
from data_prep.components import PARTS, celeba_boxes, contains
from data_prep.imageio import list_files
from data_prep.landmarks import RIGHT_EYE, landmarks

REPO = Path(__file__).resolve().parent.parent
SIZE = 64
PEOPLE, PHOTOS_EACH = 6, 2
CONVERTIBLE = ["cmyk.jpg", "gray.png", "gray16.png", "rotated.jpg", "rgba.png"]
BROKEN = {"empty.jpg": "empty", "truncated.jpg": "truncated", "text.png": "not an image", "notes.txt": "not an image"}


def face(seed: int, height: int = 150, width: int = 120) -> np.ndarray:
    """A synthetic face-like RGB image: background, hair, head, eyes, mouth."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = rng.integers(0, 256, 3)
    centre = (width // 2, height // 2 + 5)
    cv2.ellipse(image, (centre[0], centre[1] - 15), (45, 50), 0, 180, 360, rng.integers(0, 120, 3).tolist(), -1)
    cv2.ellipse(image, centre, (38, 50), 0, 0, 360, (225, 190, 160), -1)
    for dx in (-15, 15):
        cv2.ellipse(image, (centre[0] + dx, centre[1] - 10), (8, 4), 0, 0, 360, (40, 30, 30), -1)
    cv2.ellipse(image, (centre[0], centre[1] + 25), (14, 5), 0, 0, 360, (150, 40, 50), -1)
    return image


def make_photo_folder(root: Path) -> tuple[Path, Path]:
    """Photos of PEOPLE identities, unusual-but-usable images, broken files and an identity CSV."""
    src = root / "photos"
    src.mkdir()
    rows = []
    for person in range(PEOPLE):
        for index in range(PHOTOS_EACH):
            name = f"person{person}_{index}.jpg"
            Image.fromarray(face(10 * person + index)).save(src / name, quality=90)
            rows.append({"file": name, "identity": f"id{person}"})
    Image.fromarray(face(100)).convert("CMYK").save(src / "cmyk.jpg")
    Image.fromarray(face(101)).convert("L").save(src / "gray.png")
    gray16 = face(102)[:, :, 0].astype(np.uint16) * 257
    Image.fromarray(gray16).save(src / "gray16.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, displayed upright
    Image.fromarray(np.rot90(face(103))).save(src / "rotated.jpg", exif=exif)
    Image.fromarray(np.dstack([face(104), np.full((150, 120), 200, np.uint8)])).save(src / "rgba.png")
    (src / "empty.jpg").write_bytes(b"")
    buffer = io.BytesIO()
    Image.fromarray(face(105)).save(buffer, format="JPEG")
    (src / "truncated.jpg").write_bytes(buffer.getvalue()[:700])
    (src / "text.png").write_text("definitely not a PNG\n")
    (src / "notes.txt").write_text("a stray text file\n")
    csv_path = root / "identities.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "source_split", "identity"])
        writer.writeheader()
        writer.writerows({**row, "source_split": "train"} for row in rows)
    return src, csv_path


def outputs(out: Path) -> dict[str, int]:
    """Relative path -> mtime (ns) of every pair in a built dataset."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in sorted(out.glob("*/*.jpg"))}


@pytest.fixture
def photos(tmp_path: Path) -> tuple[Path, Path]:
    return make_photo_folder(tmp_path)


@pytest.mark.slow
def test_cli_build_converts_skips_and_splits_by_identity(tmp_path: Path, photos: tuple[Path, Path]) -> None:
    src, identities = photos
    out = tmp_path / "dataset"
    command = [
        sys.executable,
        "-m",
        "data_prep.build",
        str(src),
        str(out),
        "--size",
        str(SIZE),
        "--identities",
        str(identities),
        "--val-fraction",
        "0.3",
        "--workers",
        "2",
        "--methods",
        "canny,xdog",
        "--small-faces",
        "0",
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())

    used = PEOPLE * PHOTOS_EACH + len(CONVERTIBLE)
    assert manifest["counts"]["photos_used"] == used
    skipped = {entry["file"]: entry["reason"] for entry in manifest["skipped"]}
    assert skipped.keys() == BROKEN.keys()
    for name, reason in BROKEN.items():
        assert reason in skipped[name]

    pairs = outputs(out)
    assert len(pairs) == 2 * used  # one pair per method (canny, xdog)
    for method in ("canny", "xdog"):
        total = manifest["counts"]["train"][method] + manifest["counts"]["val"][method]
        assert total == used
    for path in pairs:
        with Image.open(out / path) as image:
            assert image.size == (2 * SIZE, SIZE) and image.mode == "RGB"
        drawing = np.asarray(Image.open(out / path))[:, :SIZE]
        assert np.median(drawing) > 200  # A: dark lines on white

    identity = {row["file"]: row["identity"] for row in csv.DictReader(identities.open())}
    val_files = set(manifest["split"]["val_files"])
    val_ids = {identity.get(name, name) for name in val_files}
    train_ids = {identity.get(p["file"], p["file"]) for p in manifest["pairs"] if p["output"].startswith("train/")}
    assert val_ids and train_ids and not val_ids & train_ids
    assert set(manifest["split"]["val_identities"]) == val_ids
    assert {p.split("/")[1] for p in pairs if p.startswith("val/")} == {
        f"{Path(name).stem}_{method}.jpg" for name in val_files for method in ("canny", "xdog")
    }
    assert manifest["parameters"]["size"] == SIZE and manifest["parameters"]["framing"] == "auto"


def test_rotated_and_transparent_photos_are_upright_and_on_white(tmp_path: Path, photos: tuple[Path, Path]) -> None:
    src, _ = photos
    out = tmp_path / "dataset"
    assert (
        build.main(
            [
                str(src),
                str(out),
                "--size",
                str(SIZE),
                "--workers",
                "1",
                "--val-fraction",
                "0",
                "--framing",
                "center",
                "--methods",
                "xdog",
                "--small-faces",
                "0",
            ]
        )
        == 0
    )
    rotated = np.asarray(Image.open(out / "train" / "rotated_xdog.jpg"))[:, SIZE:]
    upright = cv2.resize(face(103)[15:135], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    assert np.abs(rotated.astype(int) - upright).mean() < 12


def test_interrupted_build_resumes_without_redoing_finished_pairs(
    tmp_path: Path, photos: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    src, identities = photos
    out = tmp_path / "dataset"
    args = [str(src), str(out), "--size", str(SIZE), "--identities", str(identities), "--workers", "1"]
    args += ["--methods", "canny,xdog", "--small-faces", "0"]  # synthetic faces: no dlib face, edge maps only
    real_extract, calls = build.extract_edges, []

    def interrupted_extract(*a, **k):
        calls.append(1)
        if len(calls) > 9:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C
        return real_extract(*a, **k)

    monkeypatch.setattr(build, "extract_edges", interrupted_extract)
    with pytest.raises(KeyboardInterrupt):
        build.main(args)
    monkeypatch.undo()
    first = outputs(out)
    assert len(first) == 9 and not (out / "manifest.json").exists()
    (out / "train" / ".leftover.jpg.tmp-999").write_bytes(b"half a file")

    assert build.main(args) == 0
    final = outputs(out)
    used = PEOPLE * PHOTOS_EACH + len(CONVERTIBLE)
    assert len(final) == 2 * used
    assert all(final[path] == mtime for path, mtime in first.items())  # finished pairs not rewritten
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["pairs_kept_from_before"] == 9
    assert manifest["counts"]["pairs_written_this_run"] == 2 * used - 9
    assert not list(out.glob("*/.*tmp-*"))

    # A damaged pair is redone; a third run changes nothing else.
    damaged = sorted(final)[0]
    (out / damaged).write_bytes(b"\xff\xd8 broken")
    assert build.main(args) == 0
    again = outputs(out)
    assert again[damaged] != final[damaged]
    assert all(again[p] == final[p] for p in final if p != damaged)
    with Image.open(out / damaged) as image:
        assert image.size == (2 * SIZE, SIZE)
    rebuilt = json.loads((out / "manifest.json").read_text())
    assert rebuilt["split"] == manifest["split"] and rebuilt["pairs"] == manifest["pairs"]


def test_split_without_identities_is_seeded_by_file(tmp_path: Path, photos: tuple[Path, Path]) -> None:
    src, _ = photos
    chosen = []
    for seed in (1, 1, 2):
        out = tmp_path / f"seed{seed}-{len(chosen)}"
        assert (
            build.main(
                [
                    str(src),
                    str(out),
                    "--size",
                    "32",
                    "--workers",
                    "1",
                    "--methods",
                    "canny",
                    "--small-faces",
                    "0",
                    "--seed",
                    str(seed),
                    "--val-fraction",
                    "0.2",
                ]
            )
            == 0
        )
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["split"]["by"] == "file"
        chosen.append(manifest["split"]["val_files"])
    assert chosen[0] == chosen[1] and chosen[0] != chosen[2] and chosen[0]


def test_val_groups_are_at_least_ten_when_possible() -> None:
    groups = [f"id{i}" for i in range(180)]
    assert len(build.choose_val(groups, 0.05, seed=0)) == 10
    assert len(build.choose_val(groups, 0.2, seed=0)) == 36
    assert build.choose_val(groups, 0.0, seed=0) == set()
    assert build.choose_val(groups, 0.05, seed=0) == build.choose_val(reversed(groups), 0.05, seed=0)


def test_rebuild_with_other_settings_redoes_or_removes_pairs(tmp_path: Path, photos: tuple[Path, Path]) -> None:
    src, _ = photos
    out = tmp_path / "dataset"
    common = [str(src), str(out), "--size", "32", "--workers", "1", "--val-fraction", "0", "--small-faces", "0"]
    assert build.main([*common, "--methods", "canny"]) == 0
    assert build.main([*common, "--methods", "xdog"]) == 0
    names = [p.name for p in out.glob("train/*.jpg")]
    assert names and all(name.endswith("_xdog.jpg") for name in names)  # canny pairs removed
    assert build.main([*common, "--methods", "xdog", "--seed", "5"]) == 0  # other jitter: all redone
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["pairs_kept_from_before"] == 0
    assert manifest["counts"]["pairs_written_this_run"] == len(names)


def test_pairs_made_by_other_drawing_code_are_redone(
    tmp_path: Path, photos: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    src, _ = photos
    out = tmp_path / "dataset"
    args = [str(src), str(out), "--size", "32", "--workers", "1", "--val-fraction", "0", "--methods", "canny"]
    assert build.main(args) == 0
    made = json.loads((out / "manifest.json").read_text())
    assert made["parameters"]["code_version"] == build.drawing_code_version()
    assert build.main(args) == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["pairs_written_this_run"] == 0  # same code
    monkeypatch.setattr(build, "drawing_code_version", lambda: "edited")  # e.g. after a fix to the line art
    assert build.main(args) == 0
    redone = json.loads((out / "manifest.json").read_text())["counts"]
    assert redone["pairs_kept_from_before"] == 0
    assert redone["pairs_written_this_run"] == made["counts"]["pairs_written_this_run"] > 0


def test_the_code_version_follows_the_code_not_its_comments_or_docstrings(tmp_path: Path) -> None:
    module = tmp_path / "lineart.py"
    module.write_text('"""Strokes."""\n\n\ndef width(x):\n    """Pen width."""\n    return 2 * x\n')
    before = build.code_version([module])
    module.write_text('"""Strokes a person draws."""\n\n\ndef width(x):  # px\n    return 2 * x  # doubled\n')
    assert build.code_version([module]) == before
    module.write_text('"""Strokes."""\n\n\ndef width(x):\n    return 3 * x\n')
    assert build.code_version([module]) != before


def test_identity_csv_beside_the_photo_folder_is_used_by_default(tmp_path: Path, photos: tuple[Path, Path]) -> None:
    """``faces/celeba`` + ``faces/celeba_manifest.csv``: a plain build still holds out whole people."""
    src, identities = photos
    identities.rename(src.parent / f"{src.name}_manifest.csv")
    out = tmp_path / "dataset"
    args = [str(src), str(out), "--size", "32", "--workers", "1", "--methods", "canny", "--small-faces", "0"]
    assert build.main([*args, "--val-fraction", "0.3"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["split"]["by"] == "identity" and manifest["split"]["val_identities"]


MORE_PEOPLE, MORE_EACH = 5, 2


def make_more_folder(root: Path) -> Path:
    """A second folder "more": aligned-CelebA-sized WebP photos whose names and identity labels are the same
    as the first folder's, and its identity CSV beside it with celeba_more's columns."""
    src = root / "more"
    src.mkdir()
    with (root / "more_manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "identity", "celeba_split"])
        writer.writeheader()
        for person in range(MORE_PEOPLE):
            for index in range(MORE_EACH):
                name = f"person{person}_{index}.webp"
                Image.fromarray(face(500 + 10 * person + index, 218, 178)).save(src / name, quality=75)
                writer.writerow({"file": name, "identity": f"id{person}", "celeba_split": "train"})
    return src


def test_several_folders_keep_the_first_folders_build_and_their_people_apart(
    tmp_path: Path, photos: tuple[Path, Path]
) -> None:
    src, identities = photos
    identities.rename(src.parent / f"{src.name}_manifest.csv")  # found beside each folder, as for faces/
    more = make_more_folder(tmp_path)
    options = ["--size", str(SIZE), "--workers", "1", "--methods", "canny,xdog", "--small-faces", "0"]
    options += ["--val-fraction", "0.3", "--val-more-people", "2"]
    alone, both = tmp_path / "alone", tmp_path / "both"
    assert build.main([str(src), str(alone), *options]) == 0
    assert build.main([str(src), str(more), str(both), *options]) == 0
    first = json.loads((alone / "manifest.json").read_text())
    combined = json.loads((both / "manifest.json").read_text())

    # The first folder is built exactly as on its own: same pairs, same validation people, same files.
    assert [pair for pair in combined["pairs"] if pair["source"] == "photos"] == first["pairs"]
    assert combined["split"]["val_identities"] == first["split"]["val_identities"]
    assert combined["split"]["val_files"] == first["split"]["val_files"]
    assert sorted(p.name for p in (both / "val").iterdir()) == sorted(p.name for p in (alone / "val").iterdir())
    for path in (alone / "val").iterdir():
        assert (both / "val" / path.name).read_bytes() == path.read_bytes()

    # The second folder: its own names, people and validation folder; same-named files and people stay apart.
    theirs = [pair for pair in combined["pairs"] if pair["source"] == "more"]
    assert len(theirs) == 2 * MORE_PEOPLE * MORE_EACH  # every WebP photo used, in both styles
    assert all(pair["file"].startswith("more/person") and pair["person"].startswith("more/id") for pair in theirs)
    assert all(Path(pair["output"]).name.startswith("more__person") for pair in theirs)
    held_out = {pair["person"] for pair in theirs if pair["output"].startswith("val_more/")}
    trained = {pair["person"] for pair in theirs if pair["output"].startswith("train/")}
    assert len(held_out) == 2 and len(trained) == MORE_PEOPLE - 2 and not held_out & trained
    assert combined["split"]["val_more_identities"] == sorted(held_out)
    assert len(list((both / "val_more").iterdir())) == 2 * 2 * MORE_EACH
    assert {pair["source"] for pair in combined["pairs"]} == {"photos", "more"}
    assert [source["name"] for source in combined["sources"]] == ["photos", "more"]
    assert combined["counts"]["val_more"]["total"] == 2 * 2 * MORE_EACH
    assert all(pair["boxes"] == celeba_boxes(SIZE) for pair in theirs)  # aligned, and no style needs landmarks


def test_people_gives_a_first_subset_that_the_full_build_keeps(tmp_path: Path, photos: tuple[Path, Path]) -> None:
    src, _ = photos
    more = make_more_folder(tmp_path)
    args = [str(src), str(more), str(tmp_path / "both"), "--size", str(SIZE), "--workers", "1"]
    args += ["--methods", "canny", "--small-faces", "0", "--val-more-people", "2"]
    assert build.main([*args, "--people", "3"]) == 0
    subset = json.loads((tmp_path / "both" / "manifest.json").read_text())
    theirs = [pair for pair in subset["pairs"] if pair["source"] == "more"]
    assert len({pair["person"] for pair in theirs}) == 3  # the 2 validation people first, then one more
    assert len({pair["person"] for pair in theirs if pair["output"].startswith("val_more/")}) == 2
    assert build.main(args) == 0
    full = json.loads((tmp_path / "both" / "manifest.json").read_text())
    assert full["counts"]["pairs_kept_from_before"] == len(subset["pairs"]) < len(full["pairs"])
    assert full["split"]["val_more_identities"] == subset["split"]["val_more_identities"]


def test_second_folder_needs_its_own_name_and_identities(tmp_path: Path, photos: tuple[Path, Path]) -> None:
    src, identities = photos
    twin = tmp_path / "twin" / src.name
    twin.mkdir(parents=True)
    with pytest.raises(SystemExit):
        build.parse_args([str(src), str(twin), str(tmp_path / "out")])
    with pytest.raises(SystemExit):  # --identities: one for each folder, or none
        build.parse_args(
            [str(src), str(make_more_folder(tmp_path)), str(tmp_path / "out"), "--identities", str(identities)]
        )


CELEBA_VAL_PEOPLE = [
    "celeb_0", "celeb_141", "celeb_144", "celeb_167", "celeb_177",
    "celeb_189", "celeb_60", "celeb_64", "celeb_73", "celeb_93",
]  # fmt: skip
"""The validation people of every earlier figure: those of ``data_prep.build faces/celeba OUT``."""


@needs_faces
@pytest.mark.slow  # reads the headers of all 42k photos
def test_combined_build_keeps_the_celeba_validation_pairs() -> None:
    more = CELEBA.parent / "celeba_more"
    plans = []
    for folders in ([CELEBA], [CELEBA, more]):
        args = build.parse_args([*map(str, folders), "/nonexistent/out"])
        jobs, _ = build.plan(args, {folder: list_files(folder.path) for folder in args.folders})
        plans.append(jobs)
    alone, combined = plans

    def val_pairs(jobs: list[build.Job], split: str = "val") -> list[tuple]:
        return sorted(
            (job.name, job.stem, job.group, job.framing, m, build.sample_params(job, m), build.reframe_params(job, m))
            for job in jobs
            if job.split == split
            for m in job.methods
        )

    assert sorted({job.group for job in alone if job.split == "val"}) == CELEBA_VAL_PEOPLE
    assert val_pairs(combined) == val_pairs(alone) and len(val_pairs(alone)) == 604  # 300 photos
    assert sorted(job.name for job in combined[: len(alone)]) == sorted(job.name for job in alone)  # celeba first
    new_people = {job.group for job in combined if job.split == "val_more"}
    assert len(new_people) == build.VAL_MORE_PEOPLE and all(person.startswith("celeba_more/") for person in new_people)
    assert not new_people & {job.group for job in combined if job.split == "train"}


@needs_faces
def test_component_boxes_hold_the_landmarks_of_the_built_photos(tmp_path: Path) -> None:
    """Fixed boxes (aligned photos whose styles need no landmarks), landmark boxes, and re-framed pairs."""
    src = tmp_path / "celeba"
    src.mkdir()
    for path in list_files(CELEBA)[:4]:
        (src / path.name).symlink_to(path)  # a link, never a copy, of the licensed photos
    options = ["--workers", "1", "--val-fraction", "0"]
    fixed, found = tmp_path / "fixed", tmp_path / "found"
    assert build.main([str(src), str(fixed), *options, "--methods", "xdog", "--small-faces", "0"]) == 0
    assert (
        build.main([str(src), str(found), *options, "--methods", "pencil,lineart", "--small-faces", "0,lineart:1"]) == 0
    )
    pairs = []
    for out in (fixed, found):
        pairs += [(out, pair) for pair in json.loads((out / "manifest.json").read_text())["pairs"]]
    kinds = {"fixed": 0, "landmarks": 0, "reframed": 0}
    for out, pair in pairs:
        photo = np.asarray(Image.open(out / pair["output"]))[:, 256:]
        points = landmarks(photo)
        assert points is not None, pair["output"]
        boxes = pair["boxes"]
        for part, index in PARTS.items():
            assert contains(boxes[part], points[index]), (pair["output"], part, boxes[part])
        x0, _, x1, _ = boxes["left_eye"]
        assert x1 <= boxes["right_eye"][0]  # left and right as seen in the image
        assert x1 - x0 >= 1.5 * np.ptp(points[RIGHT_EYE, 0])  # generous: the eye with its lids and corners
        kind = "reframed" if pair["reframe"] else "fixed" if boxes == celeba_boxes(256) else "landmarks"
        kinds[kind] += 1
    assert kinds == {"fixed": 4, "landmarks": 4, "reframed": 4}
