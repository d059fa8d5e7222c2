"""The real app server (`python app.py`: queue, uploads, limits) driven over HTTP, as API users and the page do."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from gradio_client.utils import QueueError

import app
from data_prep.imageio import load_image
from p2p.inference import FaceGenerator
from p2p.model import UNetGenerator
from p2p.weights import MODEL_ENV_VAR
from ui import images, seeds

REPO_ROOT = Path(app.__file__).resolve().parent
QUEUE_WARNINGS = "ignore::DeprecationWarning:gradio.queueing"  # pandas 3 deprecations inside Gradio
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180), pytest.mark.filterwarnings(QUEUE_WARNINGS)]
JSON = {"Content-Type": "application/json"}
SLIDER_DEFAULTS = [c.value for c in images.edge_controls()]


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
    np.testing.assert_array_equal(generate(client, blank, 0), images.placeholder())


@pytest.mark.parametrize("kind", ["rgba", "16bit", "cmyk", "inverted", "large"])
def test_odd_uploads_still_give_a_face(client, odd_uploads, kind):
    face = generate(client, odd_uploads[kind], 1)
    assert face.shape == (256, 256, 3) and not np.array_equal(face, images.placeholder())


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
        f.truncate(images.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        client.predict(handle_file(big), 0, api_name="/generate")
    assert generate(client, drawing_file, 0).shape == (256, 256, 3)


def canvas_face(url: str, drawing: str, seed: object) -> httpx.Response:
    """What the page does per stroke: call the canvas's `face` server function with a data URL and a seed."""
    config = httpx.get(f"{url}config").json()
    (canvas,) = [c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "live"]
    body = {"data": {"drawing": drawing, "seed": seed}, "component_id": canvas, "fn_name": "face", "session_hash": "t"}
    return httpx.post(
        f"{url}gradio_api/component_server/", content=json.dumps(body), headers=JSON, timeout=60
    )  # NaN allowed


def test_the_canvas_and_generate_give_the_same_face(app_server, client, drawing_file, face_drawing, app_generator):
    response = canvas_face(app_server, images.to_data_url(face_drawing), 9)
    assert response.status_code == 200
    face = images.from_data_url(response.json())
    np.testing.assert_array_equal(face, generate(client, drawing_file, 9))
    np.testing.assert_array_equal(face, app_generator.generate([face_drawing], [9])[0])


def test_the_canvas_shows_the_placeholder_for_blank_paper(app_server):
    blank = images.to_data_url(np.full((256, 256), 255, np.uint8))
    np.testing.assert_array_equal(images.from_data_url(canvas_face(app_server, blank, 0).json()), images.placeholder())


def raw_generate(url: str, seed: object) -> str:
    """/generate called with raw JSON, as any HTTP client can (NaN included); returns the event stream's text."""
    call = httpx.post(
        f"{url}gradio_api/call/generate", content=json.dumps({"data": [None, seed]}), headers=JSON, timeout=60
    )
    return httpx.get(f"{url}gradio_api/call/generate/{call.json()['event_id']}", timeout=60).text


@pytest.mark.parametrize("seed", [math.nan, math.inf, "3", [3], None, True, 1.5, -1, seeds.MAX_SEED + 1])
def test_seeds_that_are_not_whole_numbers_in_range_get_a_clear_message(app_server, seed):
    answer = raw_generate(app_server, seed)
    assert "event: error" in answer and f"whole number from 0 to {seeds.MAX_SEED}" in answer, answer
    blank = images.to_data_url(np.full((256, 256), 255, np.uint8))
    assert canvas_face(app_server, blank, seed).status_code == 500, "the canvas refuses it too (and shows no face)"


def test_whole_number_seeds_pass_also_as_floats(app_server):
    assert "event: complete" in raw_generate(app_server, 7.0)


def test_samples_show_the_next_seeds_faces(client, app_generator, face_drawing, drawing_file):
    gallery = client.predict(images.to_data_url(face_drawing), 41, api_name="/samples")
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
    assert load_image(framed).shape == (images.PHOTO_SIZE, images.PHOTO_SIZE, 3)
    value = alice.predict("xdog", *SLIDER_DEFAULTS, api_name="/photo_lines")  # what the page runs next
    drawing = images.from_data_url(value)
    assert drawing.shape == (images.PHOTO_SIZE, images.PHOTO_SIZE, 3) and (drawing < 128).any()
    # Moving a slider re-extracts from the photo kept in Alice's session...
    redrawn = alice.predict("canny", *SLIDER_DEFAULTS, api_name="/redraw_lines")
    assert not np.array_equal(images.from_data_url(redrawn), drawing)
    # ...while Bob, who uploaded nothing, has no photo: his canvas is left alone.
    assert bob.predict("canny", *SLIDER_DEFAULTS, api_name="/redraw_lines")["__type__"] == "update"


def test_a_bad_photo_upload_gets_a_clear_message(client, bad_uploads):
    path, reason = bad_uploads["bomb"]
    with pytest.raises(AppError, match=reason):
        client.predict(handle_file(path), api_name="/photo")


def test_examples_load_into_the_canvas(client):
    example = sorted((REPO_ROOT / "examples").glob("*.png"))[0]
    value = client.predict(handle_file(example), api_name="/drawing_url")
    np.testing.assert_array_equal(images.from_data_url(value), load_image(example))


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


@pytest.mark.parametrize(("z_dim", "noise"), [(0, "its dropout masks"), (4, "a random latent vector")])
def test_the_intro_names_the_models_own_noise(z_dim, noise):
    generator = FaceGenerator(UNetGenerator(num_downs=6, ngf=8, z_dim=z_dim), device="cpu")
    texts = [block.value for block in app.build_demo(generator).blocks.values() if isinstance(block, gr.Markdown)]
    assert any(noise in text for text in texts)


def test_missing_model_stops_the_app_at_startup_with_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv(MODEL_ENV_VAR, str(tmp_path / "no-such-model"))
    with pytest.raises(SystemExit) as stop:
        app.main()
    message = str(stop.value.code)
    assert "no-such-model" in message and MODEL_ENV_VAR in message and "Train" in message


def many_clients_at_once(url: str, downloads: Path, ask: Callable[[Client], bytes], clients: int = 8, calls: int = 20):
    """The distinct answers of `clients` clients each calling `ask(client)` `calls` times at once, and their errors."""

    def session(i: int) -> list[bytes | str]:
        client = Client(url, verbose=False, download_files=str(downloads / f"client-{i}"), analytics_enabled=False)
        answers = []
        for _ in range(calls):
            try:
                answers.append(ask(client))
            except Exception as err:  # a cut-short download or an empty file: what this counts
                answers.append(f"{type(err).__name__}: {err}")
        return answers

    with ThreadPoolExecutor(clients) as pool:
        answers = [answer for answers in pool.map(session, range(clients)) for answer in answers]
    return {a for a in answers if isinstance(a, bytes)}, [a for a in answers if isinstance(a, str)]


def test_many_clients_asking_for_the_same_face_all_get_it_whole(app_server, tmp_path, drawing_file):
    """Identical faces share one cached file: none may be cut short or emptied while another client downloads it."""

    def face(client: Client) -> bytes:
        return generate(client, drawing_file, 3).tobytes()

    expected = face(Client(app_server, verbose=False, download_files=str(tmp_path), analytics_enabled=False))
    faces, errors = many_clients_at_once(app_server, tmp_path, face)
    assert errors == [] and faces == {expected}, errors[:3]


def test_many_clients_asking_for_the_same_samples_all_get_them_whole(app_server, tmp_path, face_drawing):
    """The sample strip goes through files too: the same four faces for everyone, none cut short."""
    drawing = images.to_data_url(face_drawing)

    def strip(client: Client) -> bytes:
        return b"".join(
            load_image(item["image"]).tobytes() for item in client.predict(drawing, 41, api_name="/samples")
        )

    expected = strip(Client(app_server, verbose=False, download_files=str(tmp_path), analytics_enabled=False))
    strips, errors = many_clients_at_once(app_server, tmp_path, strip, calls=10)
    assert errors == [] and strips == {expected}, errors[:3]


def test_more_clients_than_the_queue_holds_each_get_their_face_or_a_busy_message(app_server, tmp_path, drawing_file):
    """Overload: every call ends, within a bounded time, in the right face or "Queue is full! Please try again."."""
    expected = generate(Client(app_server, verbose=False, download_files=str(tmp_path)), drawing_file, 4).tobytes()

    def face_or_busy(client: Client) -> bytes:
        job = client.submit(handle_file(drawing_file), 4, api_name="/generate")
        try:
            return load_image(job.result(timeout=120)).tobytes()
        except QueueError:
            return b"busy"

    answers, errors = many_clients_at_once(app_server, tmp_path, face_or_busy, clients=app.QUEUE_SIZE + 8, calls=2)
    assert errors == [] and answers <= {expected, b"busy"} and expected in answers, errors[:3]
