"""Chapter 03's network: the paper's sizes, its initialisation, its parameter count."""

import math

import torch
from torch import nn

from gembook.network import mlp, n_parameters


def test_the_papers_network_has_89610_parameters():
    net = mlp()
    assert n_parameters(net) == 784 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10 == 89_610
    assert [type(layer) for layer in net] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU,
                                              nn.Linear]


def test_glorot_uniform_weights_within_their_bound_and_zero_biases():
    torch.manual_seed(0)
    for layer in mlp()[::2]:
        n_out, n_in = layer.weight.shape
        bound = math.sqrt(6 / (n_in + n_out))
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.9 * bound  # uniform: it gets near the bound
        assert (layer.bias == 0).all()


def test_init_none_keeps_pytorchs_default():
    torch.manual_seed(0)
    net = mlp((6, 5, 3), init=None)
    assert (net[0].bias != 0).any()


def test_logits_of_a_minibatch():
    assert mlp((6, 5, 3))(torch.rand(4, 6)).shape == (4, 3)
