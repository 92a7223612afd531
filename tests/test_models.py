import math

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA as SkPCA

from training import ModelConfig, build_model


def test_pca_matches_scikit_learn(mnist):
    train, test, _ = mnist
    x = train.images[:2000]
    model = build_model(ModelConfig(kind="pca", latent_dim=16)).fit(x)
    reference = SkPCA(n_components=16, svd_solver="full").fit(x.flatten(1).numpy())
    np.testing.assert_allclose(model.explained_variance_ratio_.numpy(), reference.explained_variance_ratio_, rtol=1e-4)
    ours = model.inverse_transform(model.encode(test.images[:500])).flatten(1).numpy()
    theirs = reference.inverse_transform(reference.transform(test.images[:500].flatten(1).numpy()))
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    assert model.decode(model.encode(test.images[:5])).min() >= 0  # decode clamps to [0, 1]


@pytest.mark.parametrize(
    "backbone,shape", [("mlp", (1, 28, 28)), ("conv", (1, 28, 28)), ("conv", (1, 64, 64)), ("conv", (1, 28, 20))]
)
@pytest.mark.parametrize("kind", ["ae", "vae"])
@pytest.mark.parametrize("latent_dim", [1, 3])
def test_shapes_and_ranges(kind, backbone, shape, latent_dim):
    model = build_model(
        ModelConfig(kind=kind, image_shape=shape, latent_dim=latent_dim, backbone=backbone, hidden_dim=32)
    ).eval()
    x = torch.rand(5, *shape)
    z = model.encode(x)
    assert z.shape == (5, latent_dim)
    out = model.decode(z)
    assert out.shape == (5, *shape) and out.min() >= 0 and out.max() <= 1
    loss = model.loss(x)
    assert loss["loss"].ndim == 0 and torch.isfinite(loss["loss"])


def test_vae_encode_is_deterministic_and_sampling_is_seeded():
    model = build_model(ModelConfig(kind="vae", latent_dim=4, hidden_dim=32)).eval()
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(model.encode(x), model.encode(x))
    a = model.sample(4, torch.Generator().manual_seed(1))
    b = model.sample(4, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, model.sample(4, torch.Generator().manual_seed(2)))


def test_beta_scales_only_the_kl_term():
    torch.manual_seed(0)
    base = build_model(ModelConfig(kind="vae", latent_dim=4, hidden_dim=32))
    heavy = build_model(ModelConfig(kind="vae", latent_dim=4, hidden_dim=32, beta=4.0))
    heavy.load_state_dict(base.state_dict())
    x = torch.rand(8, 1, 28, 28)
    a = base.loss(x, generator=torch.Generator().manual_seed(0))
    b = heavy.loss(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a["recon"], b["recon"]) and torch.equal(a["kl"], b["kl"])
    torch.testing.assert_close(b["loss"], a["recon"] + 4.0 * a["kl"])
    torch.testing.assert_close(a["loss"], a["recon"] + a["kl"])


@pytest.mark.parametrize(
    "bad", [dict(kind="gan"), dict(latent_dim=0), dict(backbone="resnet"), dict(likelihood="poisson"), dict(beta=-1.0)]
)
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        ModelConfig(**bad)


def test_diagonal_gaussian_samples_with_its_mean_and_std():
    from training.objectives import DiagonalGaussian, kl_per_dim

    q = DiagonalGaussian(torch.tensor([1.0, -2.0]), torch.tensor([0.0, math.log(0.25)]))
    draws = q.sample(torch.Generator().manual_seed(0), samples=20000)
    assert draws.shape == (20000, 2)
    torch.testing.assert_close(draws.mean(0), q.mean, atol=0.03, rtol=0)
    torch.testing.assert_close(draws.std(0), torch.tensor([1.0, 0.5]), atol=0.02, rtol=0)
    assert torch.equal(q.kl_per_dim(), kl_per_dim(q.mean, q.logvar))
    mu, logvar = q  # unpacks like the (mu, logvar) pair it replaces
    assert torch.equal(mu, q.mode())
