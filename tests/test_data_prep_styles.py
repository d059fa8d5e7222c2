"""The drawing styles people make: simple line art from landmarks, pencil sketches, small-face framing.

dlib needs a real face, so these tests read CelebA photos from ../shared/data
(never copied into the repo) and are skipped where that folder is absent.
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import CELEBA, needs_faces
from PIL import Image

from data_prep import build
from data_prep.edges import HEAD_STYLES, STYLES, NoFaceFound, extract_edges, jitter_params, main, output_paths
from data_prep.framing import FACE_HEIGHT_FRACTION, frame_face, reframe
from data_prep.head import face_height, find_head
from data_prep.imageio import load_image
from data_prep.landmarks import LEFT_EYE, RIGHT_EYE
from data_prep.lineart import landmark_sketch

PHOTOS = ["000002.jpg", "000058.jpg", "000132.jpg"]


@pytest.fixture(scope="module")
def photo_and_head():
    photo = frame_face(load_image(CELEBA / PHOTOS[0]), 256, "celeba")
    head = find_head(photo)
    assert head is not None
    return photo, head


@needs_faces
def test_head_mask_covers_the_face_not_the_corners(photo_and_head) -> None:
    photo, head = photo_and_head
    assert head.points.shape == (68, 2) and head.mask.shape == photo.shape[:2]
    x, y = np.round(head.points.mean(axis=0)).astype(int)
    assert head.mask[y, x] > 0.99  # the middle of the face is the person
    assert head.mask[:8, :8].max() < 0.01 and head.mask[:8, -8:].max() < 0.01  # top corners are background
    again = find_head(photo)
    np.testing.assert_array_equal(head.mask, again.mask)  # GrabCut is seeded: resumed builds match


@needs_faces
def test_lineart_is_sparse_strokes_where_the_face_is(photo_and_head) -> None:
    photo, head = photo_and_head
    drawings = [
        extract_edges(photo, "lineart", head, **jitter_params("lineart", np.random.default_rng(s))) for s in range(12)
    ]
    for drawing in drawings:
        assert drawing.shape == (256, 256) and drawing.dtype == np.uint8
        ink = drawing < 128
        assert 0.01 < ink.mean() < 0.15  # a few strokes on mostly empty paper, unlike an edge map
        assert ink[:4].sum() == 0 or ink[-4:].sum() > 0  # nothing drawn along the top frame
    centre = np.round(head.points[RIGHT_EYE].mean(0) / 2 + head.points[LEFT_EYE].mean(0) / 2).astype(int)
    # Between the eyes and the oval there is skin: empty paper around the middle of the face.
    assert np.mean([d[centre[1] - 40 : centre[1] + 30, centre[0] - 60 : centre[0] + 60] < 128 for d in drawings]) < 0.2
    assert len({d.tobytes() for d in drawings}) == 12  # varied
    params = jitter_params("lineart", np.random.default_rng(3))
    np.testing.assert_array_equal(
        extract_edges(photo, "lineart", head, **params), extract_edges(photo, "lineart", head, **params)
    )
    widths = [(extract_edges(photo, "lineart", head, **{**params, "stroke_width": w}) < 128).sum() for w in (1.0, 4.0)]
    assert widths[1] > 1.8 * widths[0]


@needs_faces
def test_lineart_hair_is_the_real_outline_a_guessed_cap_or_none(photo_and_head) -> None:
    """Mouse drawings give hair as a cap hugging the head; training line art draws it so too, beside the real
    outline, so a cap does not read as the edge of a bald head."""
    photo, head = photo_and_head
    params = {**jitter_params("lineart", np.random.default_rng(5)), "stroke_width": 2.0}
    drawn = {h: extract_edges(photo, "lineart", head, **{**params, "hair": h}) < 128 for h in (0.1, 0.3, 0.9)}
    person = (head.mask > 0.5).astype(np.uint8)
    kernel = np.ones((9, 9), np.uint8)
    silhouette = (cv2.dilate(person, kernel) - cv2.erode(person, kernel)) > 0
    on_silhouette = {h: (ink & silhouette).sum() for h, ink in drawn.items()}
    assert on_silhouette[0.9] > 2 * max(on_silhouette[0.3], on_silhouette[0.1])  # the real outline
    oval_top = np.nonzero(drawn[0.1].any(axis=1))[0].min()  # no hair: the oval is the highest stroke
    assert drawn[0.3][: oval_top - 8].sum() > 50  # a cap arches over the oval
    assert drawn[0.3].sum() > drawn[0.1].sum() + 500


@needs_faces
def test_landmark_sketch_needs_no_photo(photo_and_head) -> None:
    """From 68 points alone (the evaluation drawings of the validation people): sparse strokes around them."""
    _, head = photo_and_head
    sketches = [
        landmark_sketch(head.points, 256, **jitter_params("lineart", np.random.default_rng(s))) for s in range(8)
    ]
    for sketch in sketches:
        ink = sketch < 128
        assert sketch.shape == (256, 256) and 0.005 < ink.mean() < 0.12
        ys, xs = np.nonzero(ink)
        assert xs.min() > head.points[:, 0].min() - 60 and xs.max() < head.points[:, 0].max() + 60
    assert len({s.tobytes() for s in sketches}) == 8
    params = jitter_params("lineart", np.random.default_rng(1))
    np.testing.assert_array_equal(landmark_sketch(head.points, **params), landmark_sketch(head.points, **params))
    big = landmark_sketch(head.points * 2, 512, **params)  # the same drawing, twice the size
    box = [np.percentile(np.nonzero(d < 128), (2, 98), axis=1) for d in (landmark_sketch(head.points, **params), big)]
    np.testing.assert_allclose(box[1], 2 * box[0], atol=6)


@needs_faces
def test_pencil_is_grey_and_leaves_the_background_empty(photo_and_head) -> None:
    photo, head = photo_and_head
    sketch = extract_edges(photo, "pencil", head, **jitter_params("pencil", np.random.default_rng(0)))
    assert sketch.shape == (256, 256) and sketch.dtype == np.uint8
    grey = (sketch > 40) & (sketch < 200)
    assert grey.mean() > 0.02  # soft grey strokes, not only black and white
    outside = cv2.dilate(head.mask, np.ones((15, 15), np.uint8)) < 0.01  # beyond the drawn outline's margin
    assert outside.any() and np.ptp(sketch[outside & (np.arange(256)[:, None] < 64)]) == 0  # plain paper


@needs_faces
def test_reframe_makes_a_smaller_off_centre_face_on_light_paper(photo_and_head) -> None:
    photo, head = photo_and_head
    small, moved = reframe(photo, head, scale=0.6, shift=0.15, background=230.0, warmth=0.5)
    assert small.shape == photo.shape and small.dtype == np.uint8
    width = np.ptp(moved.points[:, 0])
    assert width == pytest.approx(0.6 * np.ptp(head.points[:, 0]), rel=0.01)
    assert moved.points[:, 0].mean() > head.points[:, 0].mean() + 20  # moved right
    assert small[:40].mean() > 200 and small[:, :20].mean() > 180  # light backdrop, no dark murk
    line = extract_edges(small, "lineart", moved, **jitter_params("lineart", np.random.default_rng(0)))
    ys, xs = np.nonzero(line < 128)
    assert ys.min() > 40  # the drawing is smaller too: empty paper above the head


def test_every_style_has_parameters_and_head_styles_need_a_head() -> None:
    blank = np.full((64, 64, 3), 200, np.uint8)
    for style in STYLES:
        assert jitter_params(style, np.random.default_rng(0))
        if style in HEAD_STYLES:
            with pytest.raises(NoFaceFound, match="no face found"):
                extract_edges(blank, style)
        else:
            assert (extract_edges(blank, style) == 255).all()
    with pytest.raises(ValueError, match="unknown drawing style"):
        extract_edges(blank, "charcoal")


def test_edges_cli_never_overwrites_and_counts_what_it_wrote(tmp_path: Path, capsys) -> None:
    """a.png, a.jpg and sub/a.png used to give two files while "3 written" was printed."""
    src = tmp_path / "photos"
    (src / "sub").mkdir(parents=True)
    image = np.zeros((64, 64, 3), np.uint8)
    image[16:48, 16:48] = 220
    for name in ("a.png", "a.jpg", "sub/a.png", "b.png"):
        Image.fromarray(image).save(src / name)
    out = tmp_path / "out"
    assert main([str(src), str(out), "--size", "64", "--framing", "center"]) == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert written == ["a_jpg.png", "a_png.png", "b.png", "sub/a.png"]
    assert "4 drawing(s) written" in capsys.readouterr().err
    targets = output_paths(sorted(src.rglob("*.png")), src, out)
    assert len(set(targets.values())) == len(targets)


def test_edges_cli_head_styles_skip_photos_without_a_face(tmp_path: Path, capsys) -> None:
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(tmp_path / "flat.png")
    assert main([str(tmp_path / "flat.png"), str(tmp_path / "out"), "--method", "lineart"]) == 1
    assert "no face found" in capsys.readouterr().err


def test_methods_with_fractions_are_parsed_and_validated() -> None:
    parser = argparse.ArgumentParser()
    assert build.parse_fractions(parser, "--methods", "xdog, lineart:0.5", bare=False) == {"xdog": 1.0, "lineart": 0.5}
    for bad in ("sobel", "xdog:0", "xdog:1.5", "xdog:half", "xdog,xdog", "", "0.5"):
        with pytest.raises(SystemExit):
            build.parse_fractions(parser, "--methods", bad, bare=False)


def test_small_faces_take_one_fraction_for_all_styles_or_one_per_style() -> None:
    parser = argparse.ArgumentParser()
    parse = functools.partial(build.parse_fractions, parser, "--small-faces", bare=True)
    assert parse("0.3") == dict.fromkeys(STYLES, 0.3)
    assert parse(build.DEFAULT_SMALL_FACES) == {**dict.fromkeys(STYLES, 0.3), "lineart": 1.0}
    assert parse("lineart:0.5,pencil:0") == {**dict.fromkeys(STYLES, 0.0), "lineart": 0.5}
    for bad in ("1.5", "-0.1", "0.3,0.4", "lineart:1,lineart:0", "sobel:0.3", "half"):
        with pytest.raises(SystemExit):
            parse(bad)
    fractions = {"xdog": 1.0, "lineart": 0.5, "pencil": 0.01}
    chosen = [build.choose_styles(fractions, 0, f"{i}.jpg") for i in range(400)]
    assert all("xdog" in styles for styles in chosen)
    assert 0.4 < np.mean(["lineart" in styles for styles in chosen]) < 0.6
    assert chosen == [build.choose_styles(fractions, 0, f"{i}.jpg") for i in range(400)]  # stable


@needs_faces
def test_build_mixes_styles_and_small_faces_and_records_proportions(tmp_path: Path) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    for name in PHOTOS:
        (src / name).symlink_to(CELEBA / name)  # a link, never a copy, of the licensed photos
    Image.fromarray(np.full((218, 178, 3), 128, np.uint8)).save(src / "no_face.jpg")
    out = tmp_path / "dataset"
    args = [str(src), str(out), "--size", "128", "--workers", "1", "--val-fraction", "0"]
    assert build.main([*args, "--methods", "xdog,pencil,lineart", "--small-faces", "0.5,lineart:1"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [entry["file"] for entry in manifest["skipped"]] == ["no_face.jpg"]
    assert "no face found" in manifest["skipped"][0]["reason"]
    assert not list(out.glob("train/no_face_*"))  # a skipped photo leaves nothing behind
    assert manifest["counts"]["train"]["total"] == 3 * len(PHOTOS) == len(manifest["pairs"])
    assert manifest["proportions"] == {"xdog": 0.3333, "pencil": 0.3333, "lineart": 0.3333}
    assert manifest["parameters"]["method_fractions"] == {"xdog": 1.0, "pencil": 1.0, "lineart": 1.0}
    assert manifest["parameters"]["small_faces"] == {"xdog": 0.5, "pencil": 0.5, "lineart": 1.0}
    small = [pair for pair in manifest["pairs"] if pair["reframe"]]
    assert manifest["counts"]["train"]["small_faces"] == len(small)
    assert all(pair["reframe"] for pair in manifest["pairs"] if pair["method"] == "lineart")
    others = [pair for pair in manifest["pairs"] if pair["method"] != "lineart"]
    assert 0 < sum(bool(pair["reframe"]) for pair in others) < len(others)
    for pair in manifest["pairs"]:
        ab = np.asarray(Image.open(out / pair["output"]))
        drawing, photo = ab[:, :128], ab[:, 128:]
        assert np.median(drawing) > 200
        if pair["reframe"]:
            assert photo[:12].mean() > 170  # the light backdrop above the smaller head
    mtimes = {p: p.stat().st_mtime_ns for p in out.glob("train/*.jpg")}
    assert build.main([*args, "--methods", "xdog,pencil,lineart", "--small-faces", "0.5,lineart:1"]) == 0
    assert mtimes == {p: p.stat().st_mtime_ns for p in out.glob("train/*.jpg")}  # resumed: nothing redone


@needs_faces
def test_build_gives_tightly_cropped_faces_the_celeba_face_size(tmp_path: Path) -> None:
    src = tmp_path / "close-ups"
    src.mkdir()
    for name in PHOTOS:  # brows to chin only, like UTKFace's crops (written to a temporary folder)
        Image.fromarray(load_image(CELEBA / name)[100:180, 49:129]).save(src / name)
    out = tmp_path / "dataset"
    assert (
        build.main(
            [str(src), str(out), "--methods", "xdog", "--small-faces", "0", "--workers", "1", "--val-fraction", "0"]
        )
        == 0
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["framing"] == "auto" and len(manifest["pairs"]) == len(PHOTOS)
    for pair in manifest["pairs"]:
        photo = np.asarray(Image.open(out / pair["output"]))[:, 256:]
        head = find_head(photo)
        assert abs(face_height(head.points) / 256 - FACE_HEIGHT_FRACTION) < 0.05
        assert photo[:12].mean() > 170  # the light backdrop above the smaller head
