"""Unit tests of the image logic behind the app (`p2p.canvas`) and of the example drawings."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from data_prep.edges import METHODS, canny_edges, xdog_edges
from data_prep.imageio import load_image
from p2p import canvas
from p2p.inference import is_blank, prepare_drawing

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "examples"


def sketchpad_value(drawing: np.ndarray) -> dict:
    """What the browser sends for `drawing` drawn with the pen: strokes on a transparent layer, RGBA composite."""
    composite = np.zeros((*drawing.shape, 4), np.uint8)  # RGB under alpha 0 is 0, as the canvas exports it
    composite[:, :, 3] = 255 - drawing
    return {"background": None, "layers": [composite], "composite": composite}


# --- edge controls ---------------------------------------------------------------------------------


def test_edge_controls_are_real_parameters_with_their_default_in_range():
    functions = {"canny": canny_edges, "xdog": xdog_edges}
    assert set(canvas.EDGE_CONTROLS) == set(METHODS)
    for method, controls in canvas.EDGE_CONTROLS.items():
        parameters = inspect.signature(functions[method]).parameters
        for control in controls:
            assert control.method == method and control.name in parameters, (method, control.name)
            assert control.value == parameters[control.name].default, "the sliders start at data_prep's defaults"
            assert control.minimum <= control.value <= control.maximum, (method, control.name)


def test_edge_params_picks_the_chosen_methods_sliders():
    values = [1.5, 80, 0.3, 2.0, -0.2, 30]  # canny: sigma, high_percentile, low_ratio; xdog: sigma, epsilon, p
    assert canvas.edge_params("canny", values) == {"sigma": 1.5, "high_percentile": 80.0, "low_ratio": 0.3}
    assert canvas.edge_params("xdog", values) == {"sigma": 2.0, "epsilon": -0.2, "p": 30.0}
    with pytest.raises(ValueError, match="slider values"):
        canvas.edge_params("xdog", values[:3])


# --- uploads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rgba", "16bit", "cmyk", "inverted", "large"])
def test_odd_but_valid_uploads_load_as_rgb(odd_uploads, kind):
    rgb = canvas.load_upload(odd_uploads[kind])
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert not is_blank(prepare_drawing(rgb))


@pytest.mark.parametrize("kind", ["text", "empty", "truncated", "huge", "bomb"])
def test_bad_uploads_raise_a_message_naming_the_file_not_the_server_path(bad_uploads, kind):
    path, reason = bad_uploads[kind]
    with pytest.raises(canvas.UploadError) as err:
        canvas.load_upload(path)
    message = str(err.value)
    assert message.startswith(f"{path.name}: ") and reason in message
    assert str(path.parent) not in message


def test_uploads_over_the_size_cap_are_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    path.write_bytes(b"\0" * 2048)  # not even an image: the size check comes first
    monkeypatch.setattr(canvas, "MAX_UPLOAD_BYTES", 1024)
    with pytest.raises(canvas.UploadError, match=r"big\.png is 0\.0 MB"):
        canvas.load_upload(path)


def test_load_photo_frames_the_face_at_model_size(tmp_path, face_photo):
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), cv2.cvtColor(face_photo, cv2.COLOR_RGB2BGR))
    photo = canvas.load_photo(path)
    assert photo.shape == (canvas.PHOTO_SIZE, canvas.PHOTO_SIZE, 3) and photo.dtype == np.uint8


# --- photo → line drawing → sketchpad --------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_photo_to_drawing_gives_dark_lines_on_white(face_photo, method):
    drawing = canvas.photo_to_drawing(cv2.resize(face_photo, (256, 256)), method)
    assert drawing.shape == (256, 256) and drawing.dtype == np.uint8
    assert np.median(drawing) == 255 and not is_blank(drawing)


def test_the_threshold_sliders_change_the_drawing(face_photo):
    photo = cv2.resize(face_photo, (256, 256))
    ink = [np.count_nonzero(canvas.photo_to_drawing(photo, "canny", high_percentile=p) < 128) for p in (75, 97)]
    assert ink[0] > ink[1], "a lower Canny threshold finds more lines"
    ink = [np.count_nonzero(canvas.photo_to_drawing(photo, "xdog", epsilon=e) < 128) for e in (0.05, -0.35)]
    assert ink[0] > ink[1], "a higher XDoG threshold darkens more"


def test_photo_editor_puts_the_extracted_lines_on_the_canvas(face_photo):
    photo = cv2.resize(face_photo, (256, 256))
    values = [c.value for m in METHODS for c in canvas.EDGE_CONTROLS[m]]
    value = canvas.photo_editor(photo, "canny", values)
    expected = prepare_drawing(canvas.photo_to_drawing(photo, "canny"), canvas.CANVAS_SIZE)
    np.testing.assert_array_equal(value["composite"][:, :, 0], expected)


def test_drawing_to_editor_puts_erasable_lines_on_a_layer_over_white_paper(face_drawing):
    value = canvas.drawing_to_editor(face_drawing)
    size = canvas.CANVAS_SIZE
    background, (layer,), composite = value["background"], value["layers"], value["composite"]
    assert background.shape == (size, size, 3) and (background == 255).all()
    assert layer.shape == (size, size, 4) and (layer[:, :, :3] == 0).all()
    lines = prepare_drawing(face_drawing, size)
    np.testing.assert_array_equal(layer[:, :, 3], 255 - lines)
    # The composite is the layer laid over the paper, i.e. what the person sees.
    alpha = layer[:, :, 3:].astype(np.float32) / 255
    over_paper = np.rint(255 * (1 - alpha)).astype(np.uint8)
    np.testing.assert_array_equal(composite, np.repeat(over_paper, 3, axis=2))


def test_blank_editor_is_white_paper_with_an_empty_layer_and_no_face():
    value = canvas.blank_editor()
    assert (value["background"] == 255).all() and (value["composite"] == 255).all()
    (layer,) = value["layers"]
    assert layer.shape == (canvas.CANVAS_SIZE, canvas.CANVAS_SIZE, 4) and not layer.any()


def test_editor_image_is_the_composite_or_none():
    assert canvas.editor_image(None) is None
    assert canvas.editor_image({"background": None, "layers": [], "composite": None}) is None
    composite = np.zeros((4, 4, 4), np.uint8)
    assert canvas.editor_image({"background": None, "layers": [], "composite": composite}) is composite


# --- faces -----------------------------------------------------------------------------------------


def test_placeholder_is_a_friendly_picture_not_an_error():
    image = canvas.placeholder(256)
    assert image.shape == (256, 256, 3) and image.dtype == np.uint8
    assert image.min() < 150 < image.max(), "it shows text on light paper"


def test_face_of_a_drawing_is_the_generators_output(app_generator, face_drawing):
    face = canvas.face(app_generator, face_drawing, seed=7)
    np.testing.assert_array_equal(face, app_generator.generate([face_drawing], [7])[0])
    assert face.shape == (256, 256, 3)


def test_face_is_deterministic_per_seed_and_the_seed_changes_it(app_generator, face_drawing):
    first, again = canvas.face(app_generator, face_drawing, 3), canvas.face(app_generator, face_drawing, 3.0)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, canvas.face(app_generator, face_drawing, 4))


def test_the_sketchpad_and_a_file_of_the_same_drawing_give_the_same_face(app_generator, face_drawing):
    big = cv2.resize(face_drawing, (canvas.CANVAS_SIZE,) * 2, interpolation=cv2.INTER_NEAREST)
    from_canvas = canvas.face(app_generator, canvas.editor_image(sketchpad_value(big)), 5)
    np.testing.assert_array_equal(from_canvas, canvas.face(app_generator, big, 5))


@pytest.mark.parametrize("drawing", [None, np.full((512, 512, 3), 255, np.uint8), np.zeros((512, 512, 4), np.uint8)])
def test_empty_or_blank_canvas_gives_the_placeholder(app_generator, drawing):
    np.testing.assert_array_equal(canvas.face(app_generator, drawing, 0), canvas.placeholder(app_generator.size))


def test_a_dot_is_still_blank(app_generator):
    dot = np.full((512, 512), 255, np.uint8)
    cv2.circle(dot, (256, 256), 2, 0, -1)
    np.testing.assert_array_equal(canvas.face(app_generator, dot, 0), canvas.placeholder(app_generator.size))


def test_samples_are_captioned_faces_for_the_next_seeds(app_generator, face_drawing):
    seeds = canvas.sample_seeds(canvas.MAX_SEED - 1, 3)
    assert seeds == [canvas.MAX_SEED, 0, 1]
    samples = canvas.samples(app_generator, face_drawing, seeds)
    assert [caption for _, caption in samples] == [f"seed {s}" for s in seeds]
    for (face, _), seed in zip(samples, seeds):  # one batch vs one at a time: float rounding may differ by 1
        single = canvas.face(app_generator, face_drawing, seed)
        np.testing.assert_allclose(face.astype(int), single.astype(int), atol=1)
    assert canvas.samples(app_generator, None, seeds) == []
    assert canvas.samples(app_generator, np.full((64, 64), 255, np.uint8), seeds) == []


def test_random_seed_is_in_the_sliders_range():
    seeds = {canvas.random_seed() for _ in range(200)}
    assert all(0 <= s <= canvas.MAX_SEED for s in seeds) and len(seeds) > 100


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
    value = canvas.load_drawing(path)
    assert not (canvas.face(app_generator, canvas.editor_image(value), 0) == canvas.placeholder()).all()


def test_examples_are_made_by_the_script_not_taken_from_photos(tmp_path):
    """Regenerating them reproduces the committed files: they are drawn by code."""
    script = EXAMPLES_DIR / "make_examples.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    assert made == [p.name for p in example_paths()]
    for name in made:
        np.testing.assert_array_equal(load_image(tmp_path / name), load_image(EXAMPLES_DIR / name), err_msg=name)
