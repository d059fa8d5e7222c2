"""The app's UI beside app.py: the live canvas (`live_canvas`), the image logic behind it (`images`),
the noise seed (`seeds`), and running the app for tests and benchmarks (`app_server`)."""
