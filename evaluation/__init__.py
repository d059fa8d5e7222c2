"""The measuring kit: realism, likeness and image metrics of a generator, and the tools that report them."""
