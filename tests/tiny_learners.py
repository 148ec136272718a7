"""Tiny learners' inputs, shared by the tests of chapters 08 and 09."""

import torch

SIZES = (6, 5, 5, 3)  # tiny networks: 6 inputs, two hidden layers of 5, 3 classes


def batch(n=4, label=None, seed=0):
    """A minibatch of n random inputs; labels random, or all `label`."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.rand(n, SIZES[0], generator=generator)
    y = (torch.full((n,), label) if label is not None
         else torch.randint(0, SIZES[-1], (n,), generator=generator))
    return X, y


def parameters(net):
    return torch.cat([p.detach().flatten() for p in net.parameters()])
