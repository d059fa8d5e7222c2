"""pix2pix: models, training, inference and Hub-style weights for sketch-to-face."""
