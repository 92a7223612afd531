"""Encoder and decoder networks shared by the AE and the VAE.

- ``mlp``: the classic fully connected net of Kingma & Welling (2013) and the PyTorch VAE example,
  D -> hidden -> out, ReLU. For 28x28 images with hidden=400 this is 784-400-k.
- ``conv``: a small DCGAN-style net. Stride-2 4x4 convolutions halve the image while both sides are
  even and larger than 7 (28x28 -> 14 -> 7, 64x64 -> 32 -> 16 -> 8 -> 4, 28x20 -> 14x10 -> 7x5), then
  a linear layer. The decoder mirrors it with transposed convolutions.

Decoders return *logits* (N, C, H, W); the model applies the sigmoid, so the loss can use the
numerically stable ``binary_cross_entropy_with_logits``.

A condition (a conditional model's one-hot label, ``condition_dim`` numbers) enters the encoder beside the
image's features, before its hidden layer, and the decoder beside the code: the decoder's input is
``[z, condition]`` (k + condition_dim numbers), its exported ops too.

``decoder.export()`` describes a decoder as a list of plain ops, each with the tensors it consumes,
so that another runtime (the explorer's page script) can run it without knowing PyTorch's layers:

    {"op": "linear", "in": n, "out": m}                  W (m, n), b (m,)
    {"op": "relu"}
    {"op": "conv_transpose2d", "in": c, "out": c2, "kernel": k, "stride": s, "padding": p,
     "height": h, "width": w}                            W (c, c2, k, k), b (c2,); input (c, h, w)
"""

from __future__ import annotations

import math

import torch
from torch import nn

Ops = list[tuple[dict, list[torch.Tensor]]]


def _downsample_steps(height: int, width: int) -> int:
    steps = 0
    while height % 2 == 0 and width % 2 == 0 and min(height, width) > 7:
        height, width, steps = height // 2, width // 2, steps + 1
    return steps


def _with(features: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
    return features if condition is None else torch.cat([features, condition.to(features.dtype)], dim=1)


class MLPEncoder(nn.Module):
    def __init__(self, image_shape, hidden_dim: int, out_dim: int, condition_dim: int = 0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(math.prod(image_shape) + condition_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, out_dim),
        )

    def forward(self, x, condition=None):  # (N, C, H, W), (N, c) -> (N, out_dim)
        return self.net[1:](_with(self.net[0](x), condition))


class MLPDecoder(nn.Module):
    def __init__(self, image_shape, hidden_dim: int, latent_dim: int, condition_dim: int = 0):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.net = nn.Sequential(
            nn.Linear(latent_dim + condition_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, math.prod(image_shape))
        )

    def forward(self, z, condition=None):  # (N, k), (N, c) -> logits (N, C, H, W)
        return self.net(_with(z, condition)).view(-1, *self.image_shape)

    def export(self) -> Ops:
        """This decoder as plain ops (see the module docstring); the output is the logits, flattened."""
        return _export_sequential(self.net)


def _channels(steps: int) -> list[int]:
    return [min(32 * 2 ** (i // 2), 128) for i in range(steps)]  # 32, 32, 64, 64, 128...


class ConvEncoder(nn.Module):
    def __init__(self, image_shape, hidden_dim: int, out_dim: int, condition_dim: int = 0):
        super().__init__()
        c, h, w = image_shape
        steps = _downsample_steps(h, w)
        layers, prev = [], c
        for ch in _channels(steps):
            layers += [nn.Conv2d(prev, ch, 4, stride=2, padding=1), nn.ReLU()]
            prev = ch
        flat = prev * (h >> steps) * (w >> steps)
        layers += [nn.Flatten(), nn.Linear(flat + condition_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, out_dim)]
        self.net = nn.Sequential(*layers)

    def forward(self, x, condition=None):  # (N, C, H, W), (N, c) -> (N, out_dim)
        head = len(self.net) - 3  # the convolutions and the flatten, then the hidden layer
        return self.net[head:](_with(self.net[:head](x), condition))


class ConvDecoder(nn.Module):
    def __init__(self, image_shape, hidden_dim: int, latent_dim: int, condition_dim: int = 0):
        super().__init__()
        c, h, w = image_shape
        steps = _downsample_steps(h, w)
        channels = _channels(steps)[::-1]
        self.start_shape = (channels[0] if steps else c, h >> steps, w >> steps)
        layers = [
            nn.Linear(latent_dim + condition_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, math.prod(self.start_shape)),
        ]
        self.fc = nn.Sequential(*layers)
        ups = []
        for i, ch in enumerate(channels):
            out = channels[i + 1] if i + 1 < len(channels) else c
            ups.append(nn.ConvTranspose2d(ch, out, 4, stride=2, padding=1))
            if i + 1 < len(channels):
                ups.append(nn.ReLU())
        self.up = nn.Sequential(*ups)

    def forward(self, z, condition=None):  # (N, k), (N, c) -> logits (N, C, H, W)
        h = self.fc(_with(z, condition))
        if self.up:
            h = nn.functional.relu(h)
        return self.up(h.view(-1, *self.start_shape))

    def export(self) -> Ops:
        """This decoder as plain ops (see the module docstring); the output is the logits, flattened."""
        ops = _export_sequential(self.fc)
        if self.up:
            ops.append(({"op": "relu"}, []))
        _, height, width = self.start_shape
        for layer in self.up:
            if isinstance(layer, nn.ConvTranspose2d):
                (kernel, _), (stride, _), (padding, _) = layer.kernel_size, layer.stride, layer.padding
                ops.append(
                    (
                        {
                            "op": "conv_transpose2d",
                            "in": layer.in_channels,
                            "out": layer.out_channels,
                            "kernel": kernel,
                            "stride": stride,
                            "padding": padding,
                            "height": height,
                            "width": width,
                        },
                        [layer.weight, layer.bias],
                    )
                )
                height = (height - 1) * stride - 2 * padding + kernel
                width = (width - 1) * stride - 2 * padding + kernel
            else:
                ops += _export_sequential([layer])
        return ops


def _export_sequential(layers) -> Ops:
    ops = []
    for layer in layers:
        if isinstance(layer, nn.Linear):
            ops.append(
                ({"op": "linear", "in": layer.in_features, "out": layer.out_features}, [layer.weight, layer.bias])
            )
        elif isinstance(layer, nn.ReLU):
            ops.append(({"op": "relu"}, []))
        else:
            raise TypeError(f"cannot export a {type(layer).__name__} layer")
    return ops


BACKBONES = {"mlp": (MLPEncoder, MLPDecoder), "conv": (ConvEncoder, ConvDecoder)}
