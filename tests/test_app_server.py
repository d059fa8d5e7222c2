"""The real app server (Gradio queue, uploads, limits) driven with gradio_client, as API users and the page do."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

import app
from data_prep.imageio import load_image
from p2p import canvas
from p2p.weights import MODEL_ENV_VAR

REPO_ROOT = Path(app.__file__).resolve().parent
QUEUE_WARNINGS = "ignore::DeprecationWarning:gradio.queueing"  # pandas 3 deprecations inside Gradio
pytestmark = [pytest.mark.timeout(180), pytest.mark.filterwarnings(QUEUE_WARNINGS)]
SLIDER_DEFAULTS = [c.value for m in canvas.EDGE_CONTROLS for c in canvas.EDGE_CONTROLS[m]]


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("client-downloads")


@pytest.fixture
def client(app_server: str, downloads: Path) -> Client:
    return Client(app_server, verbose=False, download_files=str(downloads), analytics_enabled=False)


@pytest.fixture(scope="module")
def drawing_file(tmp_path_factory: pytest.TempPathFactory, face_drawing: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("drawings") / "drawing.png"
    cv2.imwrite(str(path), face_drawing)
    return path


def generate(client: Client, path: Path, seed: int) -> np.ndarray:
    return load_image(client.predict(handle_file(path), seed, api_name="/generate"))


def test_generate_is_the_documented_api_with_a_drawing_and_a_seed(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/generate"], "UI events stay out of the API docs"
    parameters = api["named_endpoints"]["/generate"]["parameters"]
    assert [p["parameter_name"] for p in parameters] == ["drawing", "seed"]


def test_drawing_in_face_out(client, app_generator, drawing_file, face_drawing):
    face = generate(client, drawing_file, 11)
    assert face.shape == (256, 256, 3)
    np.testing.assert_array_equal(face, app_generator.generate([face_drawing], [11])[0])


def test_same_seed_same_face_other_seed_other_face(client, drawing_file):
    first, again, other = (generate(client, drawing_file, seed) for seed in (5, 5, 6))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_blank_canvas_gives_the_placeholder(client, tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((300, 300), 255, np.uint8))
    np.testing.assert_array_equal(generate(client, blank, 0), canvas.placeholder())


@pytest.mark.parametrize("kind", ["rgba", "16bit", "cmyk", "inverted", "large"])
def test_odd_uploads_still_give_a_face(client, odd_uploads, kind):
    face = generate(client, odd_uploads[kind], 1)
    assert face.shape == (256, 256, 3) and not np.array_equal(face, canvas.placeholder())


def test_bad_uploads_get_a_clear_message_and_the_app_keeps_working(client, bad_uploads, drawing_file):
    expected = generate(client, drawing_file, 2)
    for kind, (path, reason) in bad_uploads.items():
        with pytest.raises(AppError) as err:
            client.predict(handle_file(path), 2, api_name="/generate")
        assert str(err.value).startswith(path.name) and reason in str(err.value), kind
        np.testing.assert_array_equal(generate(client, drawing_file, 2), expected)


def test_files_over_the_cap_are_refused_before_upload(client, tmp_path, drawing_file):
    big = tmp_path / "big.png"
    with big.open("wb") as f:
        f.truncate(canvas.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        client.predict(handle_file(big), 0, api_name="/generate")
    assert generate(client, drawing_file, 0).shape == (256, 256, 3)


def test_the_live_canvas_event_turns_strokes_into_a_face(client, app_generator, face_drawing, tmp_path):
    stroke_layer = tmp_path / "layer.png"  # pen strokes on a transparent layer, as the canvas sends them
    rgba = np.zeros((256, 256, 4), np.uint8)
    rgba[:, :, 3] = 255 - face_drawing
    cv2.imwrite(str(stroke_layer), rgba)
    value = {"background": None, "layers": [handle_file(stroke_layer)], "composite": handle_file(stroke_layer)}
    face = load_image(client.predict(value, 9, api_name="/draw"))
    np.testing.assert_array_equal(face, app_generator.generate([face_drawing], [9])[0])


def test_samples_show_the_next_seeds_faces(client, app_generator, face_drawing, drawing_file):
    value = {"background": None, "layers": [], "composite": handle_file(drawing_file)}
    gallery = client.predict(value, 41, api_name="/samples")
    assert [item["caption"] for item in gallery] == ["seed 42", "seed 43", "seed 44", "seed 45"]
    first, expected = load_image(gallery[0]["image"]), app_generator.generate([face_drawing], [42])[0]
    np.testing.assert_allclose(first.astype(int), expected.astype(int), atol=1)  # batched: rounding may differ by 1


def test_photo_upload_puts_its_line_drawing_on_the_canvas_for_this_user_only(
    app_server, downloads, tmp_path, face_photo
):
    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), cv2.cvtColor(face_photo, cv2.COLOR_RGB2BGR))
    alice = Client(app_server, verbose=False, download_files=str(downloads), analytics_enabled=False)
    bob = Client(app_server, verbose=False, download_files=str(downloads), analytics_enabled=False)

    framed = alice.predict(handle_file(photo), api_name="/photo")
    assert load_image(framed).shape == (canvas.PHOTO_SIZE, canvas.PHOTO_SIZE, 3)
    value = alice.predict("xdog", *SLIDER_DEFAULTS, api_name="/photo_lines")  # what the page runs next
    drawing = load_image(value["composite"])
    assert drawing.shape == (canvas.CANVAS_SIZE, canvas.CANVAS_SIZE, 3) and (drawing < 128).any()
    # Moving a slider re-extracts from the photo kept in Alice's session...
    redrawn = alice.predict("canny", *SLIDER_DEFAULTS, api_name="/redraw_lines")
    assert not np.array_equal(load_image(redrawn["composite"]), drawing)
    # ...while Bob, who uploaded nothing, has no photo: his canvas is left alone.
    assert bob.predict("canny", *SLIDER_DEFAULTS, api_name="/redraw_lines") == {"__type__": "update"}


def test_a_bad_photo_upload_gets_a_clear_message(client, bad_uploads):
    path, reason = bad_uploads["bomb"]
    with pytest.raises(AppError, match=reason):
        client.predict(handle_file(path), api_name="/photo")


def test_examples_load_into_the_canvas(client):
    example = sorted((REPO_ROOT / "examples").glob("*.png"))[0]
    value = client.predict(handle_file(example), api_name="/load_drawing")
    np.testing.assert_array_equal(load_image(value["composite"]), load_image(example))


def test_several_users_at_once_each_get_their_own_face(app_server, downloads, app_generator, tmp_path, face_drawing):
    users = []
    for i in range(4):  # different drawings and seeds
        drawing = np.roll(face_drawing, 12 * i, axis=1)
        path = tmp_path / f"user{i}.png"
        cv2.imwrite(str(path), drawing)
        users.append((path, 100 + i, app_generator.generate([drawing], [100 + i])[0]))

    def session(user: tuple[Path, int, np.ndarray]) -> bool:
        path, seed, expected = user
        client = Client(app_server, verbose=False, download_files=str(downloads), analytics_enabled=False)
        return all(np.array_equal(generate(client, path, seed), expected) for _ in range(3))

    with ThreadPoolExecutor(len(users)) as pool:
        assert list(pool.map(session, users)) == [True] * len(users)


def test_analytics_are_off(app_generator):
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert app.build_demo(app_generator).analytics_enabled is False


def test_python_app_py_serves_the_default_model_on_the_port_from_the_environment(
    app_model_env, free_port, tmp_path, drawing_file, face_drawing, app_generator
):
    """The real entry point, as the README runs it: `python app.py` with Gradio's standard variables."""
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(free_port)}
    url = f"http://127.0.0.1:{free_port}/"
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while not _answers(url):
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.5)
        client = Client(url, verbose=False, download_files=str(tmp_path), analytics_enabled=False)
        np.testing.assert_array_equal(generate(client, drawing_file, 3), app_generator.generate([face_drawing], [3])[0])
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_missing_model_stops_the_app_at_startup_with_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv(MODEL_ENV_VAR, str(tmp_path / "no-such-model"))
    with pytest.raises(SystemExit) as stop:
        app.main()
    message = str(stop.value.code)
    assert "no-such-model" in message and MODEL_ENV_VAR in message and "Train" in message
