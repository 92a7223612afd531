"""The training step's CUDA-graph wrapper and the matmul precision option, as far as a CPU can check them: off a
GPU the step runs eagerly (the path the graph falls back to), and a precision is set only while a run lasts. The
graph path itself is checked against the eager one on a GPU by benchmarks/gpu.sh."""

from __future__ import annotations

import pytest
import torch

from training.cuda_graphs import GraphedStep, capturable, matmul_precision


def test_on_a_cpu_every_step_runs_eagerly_and_says_why():
    calls = []

    def step(index):
        calls.append(index.clone())
        return index.float().sum(1)

    graphed = GraphedStep(step, (2, 4), torch.device("cpu"))
    for start in range(6):
        index = torch.arange(start, start + 8).view(2, 4)
        assert torch.equal(graphed(index), index.float().sum(1))
    assert len(calls) == 6 and not graphed.graphed and "cpu" in graphed.reason
    assert graphed.graph is None
    assert GraphedStep(step, (2, 4), torch.device("cpu"), enabled=False).reason == "turned off"
    assert capturable(torch.device("cpu"), True) == {}


def test_matmul_precision_is_set_for_the_block_only_and_names_the_choices():
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    with matmul_precision("tf32"):
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == before
    with matmul_precision("float32"):  # PyTorch's own settings, untouched
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == before
    with pytest.raises(ValueError, match="float32, tf32"):
        with matmul_precision("bf16"):
            pass
