"""Random problems in the plane and in space, for the drawings' tests."""

import torch


def random_problem(n, seed):
    """A random g and n well-conditioned memory gradients in n dimensions.

    Nearly dependent rows make the diagonal term's slack large (chapter 05): the
    drawings are checked where the cone is a clear cone."""
    generator = torch.Generator().manual_seed(seed)
    G = torch.randn(n, n, generator=generator, dtype=torch.float64)
    while torch.linalg.cond(G) > 10:
        G = torch.randn(n, n, generator=generator, dtype=torch.float64)
    return torch.randn(n, generator=generator, dtype=torch.float64), G
