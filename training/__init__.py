"""Train PCA, autoencoder and (beta-)VAE models on image datasets and write safe checkpoints.

    from training import TrainConfig, train
    checkpoint = train(TrainConfig(dataset="mnist", model="vae", latent_dim=2, epochs=10))

This package never imports gradio: it also runs on machines that have only torch.
"""

from .checkpoint import Checkpoint, CheckpointError, list_checkpoints, load_checkpoint, load_metadata
from .data import DATASETS, DatasetMissingError, load_dataset
from .models import PCA, VAE, Autoencoder, LatentModel, ModelConfig, build_model
from .train import TrainConfig, train

__all__ = [
    "Autoencoder",
    "Checkpoint",
    "CheckpointError",
    "DATASETS",
    "DatasetMissingError",
    "LatentModel",
    "ModelConfig",
    "PCA",
    "TrainConfig",
    "VAE",
    "build_model",
    "list_checkpoints",
    "load_checkpoint",
    "load_dataset",
    "load_metadata",
    "train",
]
