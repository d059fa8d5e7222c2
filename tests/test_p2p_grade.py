"""p2p.grade: a face gets the colour contrast its quantile maps say, keeps its layout and mean colour, and the
grade travels with its checkpoint (fitted by the CLI on real training pairs, loaded, published, refused when
broken)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import make_dataset, tiny_generator

from p2p import grade, weights
from p2p.grade import GRADE_NAME, ColourGrade, GradeError, colour_spread, load_grade
from p2p.inference import FaceGenerator
from p2p.weights import CheckpointError


def lab_mean(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32).mean(axis=0)


def scaled_grade(factor: float) -> ColourGrade:
    """A grade whose photos spread `factor` times as much as the faces, at every quantile."""
    faces = np.linspace([2, 1, 1], [100, 50, 50], 11).astype(np.float32)
    return ColourGrade(faces, faces * factor)


@pytest.fixture(scope="module")
def picture(face_photo: np.ndarray) -> np.ndarray:
    return cv2.resize(face_photo, (256, 256), interpolation=cv2.INTER_AREA)


def test_a_face_gets_the_mapped_spread_and_keeps_its_mean_colour(picture: np.ndarray) -> None:
    graded = scaled_grade(1.3)(picture)
    np.testing.assert_allclose(colour_spread(graded), 1.3 * colour_spread(picture), rtol=0.08)
    np.testing.assert_allclose(lab_mean(graded), lab_mean(picture), atol=1.5)
    # the layout stays: where the picture is darker, so is the graded face
    lightness = [cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32).ravel() for image in (picture, graded)]
    assert np.corrcoef(*lightness)[0, 1] > 0.98


def test_a_face_with_a_photos_spread_comes_back_almost_unchanged(picture: np.ndarray) -> None:
    same = scaled_grade(1.0)(picture)
    assert np.abs(same.astype(int) - picture).mean() < 1.0


def test_no_face_is_scaled_beyond_the_limit(picture: np.ndarray) -> None:
    flat = cv2.addWeighted(picture, 0.2, np.full_like(picture, 128), 0.8, 0)  # little contrast
    graded = scaled_grade(10.0)(flat)
    assert colour_spread(graded)[0] <= grade.MAX_SCALE * colour_spread(flat)[0] * 1.05


def test_fit_matches_quantiles() -> None:
    rng = np.random.default_rng(0)
    faces = rng.normal([50, 7, 9], [8, 1, 1.5], (500, 3))
    photos = rng.normal([54, 7.5, 10], [16, 2.4, 3.3], (500, 3))
    fitted = ColourGrade.fit(faces, photos)
    mapped = np.array([fitted.target(s) for s in faces])
    np.testing.assert_allclose(mapped.mean(axis=0), photos.mean(axis=0), rtol=0.03)
    np.testing.assert_allclose(mapped.std(axis=0), photos.std(axis=0), rtol=0.1)


def test_a_saved_grade_loads_back_and_a_folder_without_one_has_none(tmp_path: Path) -> None:
    assert load_grade(tmp_path) is None
    saved = scaled_grade(1.2)
    saved.save(tmp_path, {"data": "somewhere"})
    loaded = load_grade(tmp_path)
    assert loaded is not None
    np.testing.assert_allclose(loaded.photos, saved.photos, atol=1e-3)
    np.testing.assert_allclose(loaded.generated, saved.generated, atol=1e-3)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"format_version": 99, "generated": [[1, 1, 1], [2, 2, 2]], "photos": [[1, 1, 1], [2, 2, 2]]}),
        json.dumps({"format_version": 1, "generated": [[1, 1, 1]], "photos": [[1, 1, 1]]}),
        json.dumps({"format_version": 1, "generated": [[2, 2, 2], [1, 1, 1]], "photos": [[1, 1, 1], [2, 2, 2]]}),
        json.dumps({"format_version": 1, "generated": [[1, 1], [2, 2]], "photos": [[1, 1], [2, 2]]}),
        json.dumps({"format_version": 1, "photos": [[1, 1, 1], [2, 2, 2]]}),
    ],
)
def test_a_broken_grade_is_refused_with_its_file_named(tmp_path: Path, content: str) -> None:
    tiny_generator().save_pretrained(tmp_path)
    (tmp_path / GRADE_NAME).write_text(content)
    with pytest.raises(GradeError, match=GRADE_NAME):
        load_grade(tmp_path)
    with pytest.raises(CheckpointError, match=GRADE_NAME):  # what the app and the CLIs catch
        FaceGenerator.from_pretrained(tmp_path, device="cpu")
    assert FaceGenerator.from_pretrained(tmp_path, device="cpu", grade=False).grade is None


def test_the_cli_fits_a_grade_that_the_generator_then_applies(
    tmp_path: Path, face_drawing: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_dataset(tmp_path / "data", train=6, val=1, size=256)
    folder = tmp_path / "model"
    tiny_generator(num_downs=8).save_pretrained(folder)
    grade.main([str(folder), "--data", str(data), "--pairs", "4"])
    assert GRADE_NAME in capsys.readouterr().out
    content = json.loads((folder / GRADE_NAME).read_text())
    assert content["fitted_on"]["pairs"] == 4 and len(content["photos"]) == grade.QUANTILES

    graded = FaceGenerator.from_pretrained(folder, device="cpu")
    plain = FaceGenerator.from_pretrained(folder, device="cpu", grade=False)
    assert graded.grade is not None and plain.grade is None
    face, again = graded.generate([face_drawing, face_drawing], [3, 3])
    assert np.array_equal(face, again)  # still one face per drawing and seed
    assert np.array_equal(face, graded.grade(plain.generate([face_drawing], [3])[0]))

    weights.main([str(folder), "--out", str(tmp_path / "published"), "--fp16"])
    assert (tmp_path / "published" / GRADE_NAME).read_text() == (folder / GRADE_NAME).read_text()


def test_the_cli_explains_a_folder_without_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny_generator().save_pretrained(tmp_path / "model")
    with pytest.raises(SystemExit) as exit_info:
        grade.main([str(tmp_path / "model"), "--data", str(tmp_path / "nothing")])
    assert exit_info.value.code == 2 and "build a dataset first" in capsys.readouterr().err
