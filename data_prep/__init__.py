"""Turn face photos into paired line-drawing/photo data for pix2pix.

The same functions serve the dataset build, the training-time stroke
augmentation and the app's photo-to-line-art conversion, so that all three
share one line-art convention: black lines (0) on white (255), one channel.
"""
