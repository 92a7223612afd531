"""A training step replayed as one captured CUDA graph, and the matmul precision a run asks for.

On a GPU a small model's training step is bound by kernel launches and Python, not by arithmetic: measured on an
H200, the batched sweep's step cost the same 2.4 ms for 1 model as for 35, with the GPU busy 0.93 ms of it.
Captured once as a CUDA graph (forward, backward and a capturable fused Adam) the whole step is one launch.

:class:`GraphedStep` wraps a step function ``step(index) -> tensor`` (``index`` says which images each model
trains on; the step reads everything else from tensors it owns) the PyTorch way ("whole network capture" in
the CUDA graphs notes): a few eager steps on a side stream first (real steps: they train), then one capture,
then replays with the next ``index`` copied into the captured input. Random draws inside the step come from the
run's own generators, registered with the graph, so a replay draws what the eager step would have drawn next:
each model trains as it would alone, within float tolerance. A step of another shape (an epoch's last, partial
batch) runs eagerly. Where capture is not possible (a CPU, an op that cannot be captured) the step runs eagerly
throughout: the same results, the old speed (``reason`` says why).

The graph path runs only on CUDA: ``benchmarks/gpu.sh`` checks it against the eager path on a GPU (it cannot
run in CI, which has none); the tests run the eager path this class falls back to.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import torch

log = logging.getLogger(__name__)
WARMUP_STEPS = 3  # eager steps on a side stream before the capture (cuBLAS workspaces, the allocator, Adam's state)
MATMULS = ("float32", "tf32")


class GraphedStep:
    """``step`` (see the module docstring) captured as a CUDA graph for inputs ``shape`` on ``device``, replayed
    after ``warmup`` eager steps; eager when ``enabled`` is False, on a CPU, or for an input of another shape.
    ``generators``: every ``torch.Generator`` the step draws from. The step must set its parameters' gradients to
    None before its backward pass (``optimizer.zero_grad(set_to_none=True)``) and use an optimizer made with
    ``capturable=True`` (see :func:`capturable`)."""

    def __init__(
        self,
        step: Callable[[torch.Tensor], torch.Tensor],
        shape: tuple[int, ...],
        device: torch.device,
        generators: list[torch.Generator] = (),
        enabled: bool = True,
        warmup: int = WARMUP_STEPS,
    ):
        self.step, self.shape, self.generators, self.warmup = step, tuple(shape), list(generators), warmup
        self.device = torch.device(device)
        self.graphed = bool(enabled) and self.device.type == "cuda"
        self.reason = "" if self.graphed else ("turned off" if not enabled else f"no CUDA graphs on {device}")
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_input: torch.Tensor | None = None
        self.static_output: torch.Tensor | None = None
        self.calls = 0
        self.side = torch.cuda.Stream(self.device) if self.graphed else None

    def __call__(self, index: torch.Tensor) -> torch.Tensor:
        if not self.graphed or tuple(index.shape) != self.shape:
            return self.step(index)
        with torch.cuda.device(self.device):  # streams and the capture on the step's GPU, not the current one
            if self.graph is None and self.calls < self.warmup:
                self.calls += 1
                return self._on_side_stream(index)
            if self.graph is None and not self._capture(index):
                return self.step(index)
            self.static_input.copy_(index)
            self.graph.replay()
            return self.static_output.clone()

    def _on_side_stream(self, index: torch.Tensor) -> torch.Tensor:
        current = torch.cuda.current_stream(self.device)
        self.side.wait_stream(current)
        with torch.cuda.stream(self.side):
            out = self.step(index)
        current.wait_stream(self.side)
        return out

    def _capture(self, index: torch.Tensor) -> bool:
        """Record one step (nothing runs: the caller replays it); False, with ``reason`` said, when the step
        cannot be captured: the generators are set back to where the eager steps left them, and it runs eagerly
        from then on. Only this thread's CUDA work is captured (the app's page threads may use the GPU meanwhile)."""
        default = torch.cuda.default_generators[self.device.index or 0]
        states = [(g, g.get_state()) for g in [*self.generators, default]]
        static_input = index.clone()
        graph = torch.cuda.CUDAGraph()
        for generator in self.generators:  # replays draw from them, where eager steps left them
            graph.register_generator_state(generator)
        torch.cuda.synchronize(self.device)
        try:
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                static_output = self.step(static_input)
        except RuntimeError as error:  # an op that cannot be captured (one that waits on the CPU, say)
            torch.cuda.synchronize(self.device)
            for generator, state in states:
                generator.set_state(state)
            self.graphed, self.reason = False, f"capture failed: {error}"
            log.warning("training step not captured as a CUDA graph (%s); running eagerly", error)
            return False
        self.graph, self.static_input, self.static_output = graph, static_input, static_output
        return True


def capturable(device: torch.device, graphs: bool) -> dict:
    """The optimizer options a graphed step needs on ``device``: Adam's step count kept on the GPU."""
    return {"capturable": True} if graphs and torch.device(device).type == "cuda" else {}


@contextlib.contextmanager
def matmul_precision(name: str) -> Iterator[None]:
    """While the block runs, CUDA float32 matmuls and convolutions in TensorFloat-32 when ``name`` is "tf32"
    (several times faster on tensor cores, ~1e-3 relative error per product); "float32" leaves PyTorch's settings
    as they are (full-precision matmuls). The setting is the process's: other threads' GPU work meanwhile gets it
    too. No effect on a CPU."""
    if name not in MATMULS:
        raise ValueError(f"unknown matmul precision {name!r}; use one of {', '.join(MATMULS)}")
    if name == "float32":
        yield
        return
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before
