"""The critics training adds to the paper's PatchGAN: a critic and a perceptual loss on a frozen ImageNet network, and
eye and mouth critics. Training only: the app and inference never import them."""
