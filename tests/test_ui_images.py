"""Unit tests of the image logic behind the app (`ui.images`), the seeds (`ui.seeds`) and the example drawings."""

from __future__ import annotations

import base64
import inspect
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import missing_parts, needs_faces

from data_prep.edges import METHODS, STYLES, canny_edges, extract_edges, xdog_edges
from data_prep.framing import FACE_HEIGHT_FRACTION
from data_prep.head import face_height, find_head
from data_prep.imageio import load_image
from p2p.inference import is_blank, prepare_drawing
from ui import images, seeds
from ui.live_canvas import CANVAS_SIDE, DEFAULT_PEN, PENS
from ui.photo_lineart import eye_is_open, photo_lineart

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "examples"


# --- edge controls ---------------------------------------------------------------------------------


def test_edge_controls_are_real_parameters_with_their_default_in_range():
    functions = {"canny": canny_edges, "xdog": xdog_edges}
    assert set(images.EDGE_CONTROLS) <= set(STYLES), "sliders only for styles data_prep has"
    for method, controls in images.EDGE_CONTROLS.items():
        parameters = inspect.signature(functions[method]).parameters
        for control in controls:
            assert control.method == method and control.name in parameters, (method, control.name)
            assert control.value == parameters[control.name].default, "the sliders start at data_prep's defaults"
            assert control.minimum <= control.value <= control.maximum, (method, control.name)


def test_every_slider_is_listed_in_methods_order():
    assert images.edge_controls() == [c for m in STYLES for c in images.EDGE_CONTROLS.get(m, ())]


def test_the_panel_offers_every_style_pencil_first():
    choices = images.style_choices()
    assert sorted(style for _, style in choices) == sorted(STYLES)
    assert choices[0] == ("Pencil", "pencil") == (images.STYLE_LABELS[images.PANEL_STYLE], images.PANEL_STYLE)


def test_a_face_style_on_a_photo_without_a_face_is_a_message():
    with pytest.raises(images.UploadError, match="No face found"):
        images.photo_to_drawing(np.full((256, 256, 3), 128, np.uint8), "lineart")


def test_edge_params_picks_the_chosen_methods_sliders():
    values = [1.5, 80, 0.3, 2.0, -0.2, 30]  # canny: sigma, high_percentile, low_ratio; xdog: sigma, epsilon, p
    assert images.edge_params("canny", values) == {"sigma": 1.5, "high_percentile": 80.0, "low_ratio": 0.3}
    assert images.edge_params("xdog", values) == {"sigma": 2.0, "epsilon": -0.2, "p": 30.0}
    with pytest.raises(ValueError, match="slider values"):
        images.edge_params("xdog", values[:3])


# --- uploads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rgba", "16bit", "cmyk", "inverted", "large"])
def test_odd_but_valid_uploads_load_as_rgb(odd_uploads, kind):
    rgb = images.load_upload(odd_uploads[kind])
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert not is_blank(prepare_drawing(rgb))


@pytest.mark.parametrize("kind", ["text", "empty", "truncated", "huge", "bomb"])
def test_bad_uploads_raise_a_message_naming_the_file_not_the_server_path(bad_uploads, kind):
    path, reason = bad_uploads[kind]
    with pytest.raises(images.UploadError) as err:
        images.load_upload(path)
    message = str(err.value)
    assert message.startswith(f"{path.name}: ") and reason in message
    assert str(path.parent) not in message


def test_uploads_over_the_size_cap_are_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    path.write_bytes(b"\0" * 2048)  # not even an image: the size check comes first
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 1024)
    with pytest.raises(images.UploadError, match=r"big\.png is 0\.0 MB"):
        images.load_upload(path)


def test_load_photo_frames_the_face_at_model_size(tmp_path, face_photo):
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), cv2.cvtColor(face_photo, cv2.COLOR_RGB2BGR))
    photo = images.load_photo(path)
    assert photo.shape == (images.PHOTO_SIZE, images.PHOTO_SIZE, 3) and photo.dtype == np.uint8


CELEBA = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces" / "celeba"


@pytest.mark.skipif(not CELEBA.is_dir(), reason="../shared/data is not available")
def test_load_photo_gives_a_tightly_cropped_face_the_training_faces_size(tmp_path):
    photo = load_image(sorted(CELEBA.glob("*.jpg"))[0])  # 178×218: face, hair and background
    path = tmp_path / "close-up.png"
    cv2.imwrite(str(path), cv2.cvtColor(photo[100:180, 49:129], cv2.COLOR_RGB2BGR))  # brows to chin only
    head = find_head(images.load_photo(path))
    assert abs(face_height(head.points) / images.PHOTO_SIZE - FACE_HEIGHT_FRACTION) < 0.05


# --- photo → line drawing → sketchpad --------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_photo_to_drawing_gives_dark_lines_on_white(face_photo, method):
    drawing = images.photo_to_drawing(cv2.resize(face_photo, (256, 256)), method)
    assert drawing.shape == (256, 256) and drawing.dtype == np.uint8
    assert np.median(drawing) == 255 and not is_blank(drawing)


def test_the_threshold_sliders_change_the_drawing(face_photo):
    photo = cv2.resize(face_photo, (256, 256))
    ink = [np.count_nonzero(images.photo_to_drawing(photo, "canny", high_percentile=p) < 128) for p in (75, 97)]
    assert ink[0] > ink[1], "a lower Canny threshold finds more lines"
    ink = [np.count_nonzero(images.photo_to_drawing(photo, "xdog", epsilon=e) < 128) for e in (0.05, -0.35)]
    assert ink[0] > ink[1], "a higher XDoG threshold darkens more"


def test_photo_lines_are_the_drawing_as_a_data_url(face_photo):
    photo = cv2.resize(face_photo, (256, 256))
    values = [c.value for c in images.edge_controls()]
    drawing = images.from_data_url(images.photo_lines(photo, "canny", values))
    np.testing.assert_array_equal(drawing[:, :, 0], images.photo_to_drawing(photo, "canny"))


# --- data URLs ---------------------------------------------------------------------------------------


def test_data_urls_round_trip_losslessly(face_drawing, face_photo):
    url = images.to_data_url(face_photo)
    assert url.startswith("data:image/png;base64,")
    np.testing.assert_array_equal(images.from_data_url(url), face_photo)
    np.testing.assert_array_equal(images.from_data_url(images.to_data_url(face_drawing))[:, :, 1], face_drawing)


def test_a_transparent_drawing_lies_on_white_paper(face_drawing):
    rgba = np.zeros((*face_drawing.shape, 4), np.uint8)  # black strokes on a transparent canvas
    rgba[:, :, 3] = 255 - face_drawing
    ok, png = cv2.imencode(".png", rgba)
    url = "data:image/png;base64," + base64.b64encode(png.tobytes()).decode()
    np.testing.assert_array_equal(images.from_data_url(url)[:, :, 0], face_drawing)


@pytest.mark.parametrize(
    "url",
    [None, "", "hello", "data:text/plain;base64,aGk=", "data:image/png;base64,%%%", "data:image/png;base64,aGVsbG8="],
)
def test_what_is_not_an_image_data_url_is_an_upload_error(url):
    with pytest.raises(images.UploadError, match="drawing"):
        images.from_data_url(url)


def test_huge_data_urls_are_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    with pytest.raises(images.UploadError, match="too large"):
        images.from_data_url(images.to_data_url(np.full((20, 20), 255, np.uint8)))


# --- faces -----------------------------------------------------------------------------------------


def test_placeholder_is_a_friendly_picture_not_an_error():
    image = images.placeholder(256)
    assert image.shape == (256, 256, 3) and image.dtype == np.uint8
    assert image.min() < 150 < image.max(), "it shows text on light paper"


def test_face_of_a_drawing_is_the_generators_output(app_generator, face_drawing):
    face = images.face(app_generator, face_drawing, seed=7)
    np.testing.assert_array_equal(face, app_generator.generate([face_drawing], [7])[0])
    assert face.shape == (256, 256, 3)


def test_face_is_deterministic_per_seed_and_the_seed_changes_it(app_generator, face_drawing):
    first, again = images.face(app_generator, face_drawing, 3), images.face(app_generator, face_drawing, 3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, images.face(app_generator, face_drawing, 4))


@pytest.mark.parametrize("drawing", [None, np.full((512, 512, 3), 255, np.uint8), np.zeros((512, 512, 4), np.uint8)])
def test_empty_or_blank_canvas_gives_the_placeholder(app_generator, drawing):
    np.testing.assert_array_equal(images.face(app_generator, drawing, 0), images.placeholder(app_generator.size))


def test_a_dot_is_still_blank(app_generator):
    dot = np.full((512, 512), 255, np.uint8)
    cv2.circle(dot, (256, 256), 2, 0, -1)
    np.testing.assert_array_equal(images.face(app_generator, dot, 0), images.placeholder(app_generator.size))


def test_samples_are_captioned_faces_for_the_next_seeds(app_generator, face_drawing):
    sample_seeds = seeds.sample_seeds(seeds.MAX_SEED - 1, 3)
    assert sample_seeds == [seeds.MAX_SEED, 0, 1]
    samples = images.samples(app_generator, face_drawing, sample_seeds)
    assert [caption for _, caption in samples] == [f"seed {s}" for s in sample_seeds]
    for (face, _), seed in zip(samples, sample_seeds):  # one batch vs one at a time: float rounding may differ by 1
        single = images.face(app_generator, face_drawing, seed)
        np.testing.assert_allclose(face.astype(int), single.astype(int), atol=1)
    assert images.samples(app_generator, None, sample_seeds) == []
    assert images.samples(app_generator, np.full((64, 64), 255, np.uint8), sample_seeds) == []


# --- seeds -------------------------------------------------------------------------------------------


def test_random_seed_is_in_the_sliders_range():
    drawn = {seeds.random_seed() for _ in range(200)}
    assert all(0 <= s <= seeds.MAX_SEED for s in drawn) and len(drawn) > 100


@pytest.mark.parametrize("value", [0, 7, 7.0, seeds.MAX_SEED])
def test_whole_numbers_in_range_are_seeds(value):
    assert seeds.parse_seed(value) == int(value) and type(seeds.parse_seed(value)) is int


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1.5, -1, seeds.MAX_SEED + 1, "3", [3], None, True])
def test_anything_else_is_refused_with_the_range_in_the_message(value):
    with pytest.raises(seeds.SeedError, match=f"whole number from 0 to {seeds.MAX_SEED}"):
        seeds.parse_seed(value)


# --- example drawings ------------------------------------------------------------------------------


def example_paths() -> list[Path]:
    return sorted(EXAMPLES_DIR.glob("*.png"))


def test_there_are_a_few_example_drawings():
    assert len(example_paths()) >= 3


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_examples_are_face_line_drawings(path, app_generator):
    rgb = load_image(path)
    assert rgb.shape == (512, 512, 3)
    assert (rgb.max(axis=2) - rgb.min(axis=2)).max() == 0, "black and white, no colour"
    drawing = prepare_drawing(rgb)
    assert np.mean(drawing > 200) > 0.85, "mostly white paper"
    drawing = images.from_data_url(images.drawing_url(path))
    assert not (images.face(app_generator, drawing, 0) == images.placeholder()).all()


def test_examples_are_made_by_the_script_not_taken_from_photos(tmp_path):
    """Regenerating them reproduces the committed files: they are drawn by code."""
    script = EXAMPLES_DIR / "make_examples.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    assert made == [p.name for p in example_paths()]
    for name in made:
        np.testing.assert_array_equal(load_image(tmp_path / name), load_image(EXAMPLES_DIR / name), err_msg=name)


# --- the evaluation set of mouse drawings ------------------------------------------------------------


def test_the_mouse_drawings_are_an_evaluation_set_of_line_drawings(app_generator):
    paths = sorted((REPO_ROOT / "tests" / "data" / "mouse_drawings").glob("*.png"))
    assert len(paths) >= 40, "made by examples/make_mouse_drawings.py"
    for path in paths:
        drawing = load_image(path)
        assert drawing.shape == (256, 256, 3) and np.mean(drawing > 200) > 0.85, path.name
        assert not is_blank(prepare_drawing(drawing)), path.name


# --- the panel's line art of a photo ----------------------------------------------------------------

TRAINING_MISSES = ["000181.jpg", "000556.jpg", "000719.jpg"]
"""CelebA photos whose line art with training's random choice of parts leaves out a brow or the nose."""


@needs_faces
@pytest.mark.parametrize("name", TRAINING_MISSES)
def test_a_photos_line_art_has_every_part_that_trainings_random_choice_left_out(name):
    photo = images.load_photo(CELEBA / name)
    head = find_head(photo)
    assert missing_parts(extract_edges(photo, "lineart", head), head.points) != [], "training's variety is kept"
    drawing = images.photo_to_drawing(photo, "lineart")
    assert missing_parts(drawing, head.points) == []
    np.testing.assert_array_equal(drawing, photo_lineart(head), "the panel draws the complete line art")
    np.testing.assert_array_equal(
        images.photo_to_drawing(photo, "lineart"), drawing, "the same photo, the same drawing"
    )


def stroke_width(drawing: np.ndarray) -> int:
    """The commonest length of the dark runs along the rows and columns of a line drawing: its strokes' width."""
    ink = drawing < 128
    runs = [
        np.flatnonzero(np.diff(line, append=0) == -1) + 1 - np.flatnonzero(np.diff(line, prepend=0) == 1)
        for lines in (ink, ink.T)
        for line in lines.astype(np.int8)
    ]
    return int(np.bincount(np.concatenate(runs)).argmax())


@needs_faces
def test_a_photos_line_art_is_drawn_with_the_default_pen():
    photo = images.load_photo(CELEBA / TRAINING_MISSES[0])
    canvas_pen = dict(PENS)[DEFAULT_PEN] * images.PHOTO_SIZE / CANVAS_SIDE
    assert stroke_width(images.photo_to_drawing(photo, "lineart")) == canvas_pen == 2
    assert stroke_width(extract_edges(photo, "lineart")) > canvas_pen, "training's line art is bolder"


def test_open_eyes_get_pupils_shut_ones_do_not():
    open_eye = np.array([[0, 5], [3, 2], [7, 2], [10, 5], [7, 8], [3, 8]], np.float32)
    shut_eye = np.array([[0, 5], [3, 4.5], [7, 4.5], [10, 5], [7, 5.5], [3, 5.5]], np.float32)
    assert eye_is_open(open_eye) and not eye_is_open(shut_eye)
