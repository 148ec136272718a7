"""Generated from notebooks/03_network.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

from torch import nn


def mlp(sizes=(784, 100, 100, 10)):
    """Fully connected net with ReLU between layers: the paper's MNIST learner.

    Defined in chapter 03 (the network).
    """
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def n_parameters(net):
    """The number of scalar parameters of `net`: the length of its gradient vector."""
    return sum(p.numel() for p in net.parameters())
