"""The models and test images the app shows, loaded once at start-up and shared read-only.

:class:`Store` holds every checkpoint as a :class:`~explorer.entries.ModelEntry` and each dataset's
test images, and resolves what the page asks for (a dataset, a latent size, the models to show) into
one :class:`Lineup`, checked once. Test images are the real ones when the dataset is on disk, else
the best decoder's reconstructions of the stored codes (``DatasetImages.originals`` says which), so
the app also runs offline from the checkpoints alone.

Sweeps (``<root>/sweeps/<sweep>/``, see :mod:`explorer.sweeps`) load as entries tagged with their sweep's
name. They open in every tab like the zoo's models but stay out of the header's way: the latent sizes and
models the header offers (:meth:`Store.latent_dims`, :meth:`Store.models`) are the zoo's, plus the size of
a sweep model in the lineup and its sweep's models of that size (every sweep's, at a dataset or latent size
the zoo lacks); they are never in a default lineup where the zoo has one.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import safetensors.torch
import torch

from explorer.core.entries import ModelEntry, make_entry
from explorer.core.inputs import InputError, whole_number
from explorer.core.sweeps import PAGE_SWEEPS, SWEEPS, Sweep, SweepError, read_sweep, remove_stale_staging, sweep_folders
from training import CheckpointError, DatasetMissingError, list_checkpoints, load_checkpoint
from training.data import DATASETS, download_allowed, load_test_split, resolve_data_dir
from training.files import write_atomic
from training.race import Recording, load_race, race_folders

log = logging.getLogger(__name__)
DOWNLOADING = "downloading"
RACES = "races"  # recorded races: <root>/races/<name>/
PAGE_RACES = "page-races"  # races trained from the page: <root>/page-races/<name>/


@dataclass
class DatasetImages:
    images: torch.Tensor  # (N, C, H, W) in [0, 1], aligned with every entry's z
    labels: torch.Tensor  # (N,)
    originals: bool  # False: decoded reconstructions (dataset missing)
    message: str = ""


@dataclass
class Store:
    """All checkpoints under ``root``; ``skipped`` maps each folder that could not be loaded to why (one
    message naming the file).

    Sweeps are read lazily: at start only their summaries (``sweeps``: every sweep on disk, a few kB each),
    and a sweep's checkpoints when one of its models is first asked for (:meth:`sweep_entries`, or a
    lineup, model list or latent size that names one), so start-up time and memory do not grow with the
    sweeps on disk. ``entries`` holds the zoo and the sweeps loaded so far."""

    root: Path
    data_dir: Path | None = None
    device: str = "cpu"
    entries: dict[str, ModelEntry] = field(default_factory=dict)  # replaced whole, never changed in place
    sweeps: dict[str, Sweep] = field(default_factory=dict)  # (a sweep trained meanwhile is added)
    skipped: dict[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    _images: dict[str, DatasetImages] = field(default_factory=dict)
    _images_lock: threading.Lock = field(default_factory=threading.Lock)
    _fetching: dict[str, str] = field(default_factory=dict)  # dataset -> DOWNLOADING, or the download's error
    _sweeps_lock: threading.RLock = field(default_factory=threading.RLock)
    _sweep_of: dict[str, str] = field(default_factory=dict)  # model name -> the sweep it belongs to
    _loaded: set[str] = field(default_factory=set)  # sweeps whose checkpoints are in ``entries``
    _races: dict = field(default_factory=dict)  # name -> Recording, read on first use (:meth:`race`)

    @classmethod
    def load(
        cls, root: str | Path = "checkpoints", data_dir=None, device: str = "cpu", cache_dir: str | Path | None = None
    ) -> Store:
        """Every checkpoint under ``root`` and every sweep's summary (see the class docstring); ``cache_dir``
        keeps test sets converted once (see ``images``). Two checkpoints that claim one name are a conflict:
        both are named in ``skipped``, and the one whose folder is its name is kept (neither if none is)."""
        store = cls(
            Path(root), Path(data_dir) if data_dir else None, device, cache_dir=Path(cache_dir) if cache_dir else None
        )
        found: dict[str, list[tuple[Path, ModelEntry]]] = {}
        for path in list_checkpoints(root):
            try:
                checkpoint = load_checkpoint(path, device)
                entry = make_entry(checkpoint.name, checkpoint.meta, checkpoint.model, checkpoint.latents)
            except ValueError as error:  # a CheckpointError names its file; make_entry's names the kind
                store.skipped[path.name] = str(error) if isinstance(error, CheckpointError) else f"{path}: {error}"
                continue
            found.setdefault(checkpoint.name, []).append((path, entry))
        for name, claims in found.items():
            kept = [entry for path, entry in claims if path.name == name] if len(claims) > 1 else [claims[0][1]]
            if len(claims) > 1:
                folders = ", ".join(str(path) for path, _ in claims)
                for path, entry in claims:
                    if len(kept) != 1 or entry is not kept[0]:
                        store.skipped[path.name] = (
                            f"{path}: {len(claims)} checkpoints claim the name {name!r} "
                            f"({folders}); rename the copy (its folder and the 'name' in "
                            f"its checkpoint.json) or remove it"
                        )
            if len(kept) == 1:
                store.entries[name] = kept[0]
        remove_stale_staging(store.page_sweeps_folder)  # a sweep killed while it trained or saved
        remove_stale_staging(store.page_races_folder)
        for folder in sweep_folders(store.root):
            try:
                store.add_sweep(folder, lazy=True)
            except SweepError as error:
                store.skipped[f"{folder.parent.name}/{folder.name}"] = str(error)
        return store

    @property
    def sweeps_folder(self) -> Path:
        """Sweeps trained with the command line (and the committed one): never removed by the app."""
        return self.root / SWEEPS

    @property
    def page_sweeps_folder(self) -> Path:
        """Sweeps trained from the page: the app keeps them within a disk budget, oldest removed first."""
        return self.root / PAGE_SWEEPS

    def made_in_page(self, name: str) -> bool:
        sweep = self.sweeps.get(name)
        return sweep is not None and sweep.folder.parent == self.page_sweeps_folder

    def add_sweep(self, folder: str | Path, lazy: bool = False) -> Sweep:
        """Add the sweep in ``folder``: its summary, checked, and (unless ``lazy``) every checkpoint it names,
        all or nothing. Safe while requests read the store: ``entries`` and ``sweeps`` are replaced, not
        changed. Raises :class:`SweepError` naming the file."""
        sweep = read_sweep(folder)
        with self._sweeps_lock:
            if sweep.name in self.sweeps:
                raise SweepError(f"{sweep.folder}: a sweep named {sweep.name} is loaded already")
            names = [model["name"] for model in sweep.models]
            taken = [name for name in names if name in self.entries or name in self._sweep_of]
            if taken:
                raise SweepError(f"sweep {sweep.name}: a model named {taken[0]} is loaded already (rename the sweep)")
            if not lazy:
                self._add_entries(sweep, self._read_entries(sweep))
            self._sweep_of.update(dict.fromkeys(names, sweep.name))
            self.sweeps = {**self.sweeps, sweep.name: sweep}
        return sweep

    def remove_sweep(self, name: str) -> None:
        """Forget the sweep ``name`` and its models (its folder is the caller's)."""
        with self._sweeps_lock:
            sweep = self.sweeps.get(name)
            if sweep is None:
                return
            self.entries = {n: e for n, e in self.entries.items() if e.sweep != name}
            self.sweeps = {n: s for n, s in self.sweeps.items() if n != name}
            self._sweep_of = {m: s for m, s in self._sweep_of.items() if s != name}
            self._loaded.discard(name)

    def sweep_entries(self, name: str) -> dict[str, ModelEntry]:
        """The models of the sweep ``name``, loaded on first use. Raises :class:`SweepError` (a damaged file:
        the sweep is then forgotten and listed in ``skipped``) or ``KeyError`` for an unknown sweep."""
        sweep = self.sweeps[name]
        with self._sweeps_lock:
            if name not in self._loaded:
                try:
                    self._add_entries(sweep, self._read_entries(sweep))
                except SweepError as error:
                    self.remove_sweep(name)
                    self.skipped[f"{sweep.folder.parent.name}/{name}"] = str(error)
                    raise
        return {n: e for n, e in self.entries.items() if e.sweep == name}

    def _read_entries(self, sweep: Sweep) -> dict[str, ModelEntry]:
        new = {}
        for model in sweep.models:
            try:
                checkpoint = load_checkpoint(sweep.folder / model["name"], self.device)
                entry = make_entry(checkpoint.name, checkpoint.meta, checkpoint.model, checkpoint.latents, sweep.name)
            except ValueError as error:  # a CheckpointError names its file
                raise SweepError(f"sweep {sweep.name}: {error}") from None
            if entry.name != model["name"] or entry.dataset != sweep.dataset:
                raise SweepError(
                    f"sweep {sweep.name}: {model['name']} is not the {sweep.dataset} model its summary "
                    "names; train the sweep again"
                )
            new[entry.name] = entry
        return new

    def _add_entries(self, sweep: Sweep, new: dict[str, ModelEntry]) -> None:
        self.entries = {**self.entries, **new}
        self._loaded.add(sweep.name)
        most = max(len(e.z) for e in new.values())
        with self._images_lock:  # more codes than the test images read so far: read them again when asked
            if sweep.dataset in self._images and len(self._images[sweep.dataset].labels) < most:
                del self._images[sweep.dataset]

    @property
    def page_races_folder(self) -> Path:
        """Races trained from the page: the app keeps the newest few (explorer/core/races.py)."""
        return self.root / PAGE_RACES

    def race_folders(self) -> dict[str, Path]:
        """The recorded races, by name: those under ``<root>/races`` (``python -m training race``; the committed
        one) first, then the page's, newest first; their folders, not read (a listing)."""
        page = sorted(race_folders(self.page_races_folder), key=lambda p: p.stat().st_mtime, reverse=True)
        found = {}
        for folder in [*race_folders(self.root / RACES), *page]:
            found.setdefault(folder.name, folder)  # a committed race's name is never shadowed
        return found

    def forget_race(self, name: str) -> None:
        """Drop the race ``name`` read before (its folder is being removed)."""
        with self._sweeps_lock:
            self._races.pop(name, None)

    def race(self, name: str) -> Recording:
        """The race ``name``, read on first use; ``KeyError`` for an unknown name, ``ValueError`` (naming the file
        and what to do) for a damaged one, which is then named in ``skipped``."""
        with self._sweeps_lock:
            if name not in self._races:
                folder = self.race_folders()[name]
                try:
                    self._races[name] = load_race(folder)
                except ValueError as error:
                    self.skipped[f"{RACES}/{name}"] = str(error)
                    raise
            return self._races[name]

    def entry(self, name) -> ModelEntry | None:
        """The model named ``name`` (a sweep's loaded on first use), or None."""
        self._load_named([name])
        return self.entries.get(name) if isinstance(name, str) else None

    def _load_named(self, names) -> None:
        """Load the sweeps that the model names ``names`` (a list, or anything else: none) belong to."""
        if not isinstance(names, list | tuple):
            return
        for sweep in {self._sweep_of.get(n) for n in names if isinstance(n, str) and n not in self.entries} - {None}:
            try:
                self.sweep_entries(sweep)
            except (SweepError, KeyError):
                pass  # listed in skipped; the name is then unknown, as the caller says

    def _load_dataset(self, dataset: str) -> None:
        """A dataset only sweeps have: load its sweeps (the header has nothing else to show)."""
        if any(e.dataset == dataset and e.sweep is None for e in self.entries.values()):
            return
        for sweep in [s for s in self.sweeps.values() if s.dataset == dataset and s.name not in self._loaded]:
            try:
                self.sweep_entries(sweep.name)
            except (SweepError, KeyError):
                pass

    @property
    def errors(self) -> list[str]:
        """Why each skipped checkpoint could not be loaded."""
        return list(self.skipped.values())

    def datasets(self) -> list[str]:
        names = {e.dataset for e in self.entries.values()} | {s.dataset for s in self.sweeps.values()}
        return [d for d in DATASETS if d in names]

    def _shown_sweeps(self, names) -> set[str]:
        """The sweeps the models ``names`` (a list, or anything else: none) belong to."""
        entries = self.entries
        names = names if isinstance(names, list | tuple) else []
        return {entries[n].sweep for n in names if isinstance(n, str) and n in entries and entries[n].sweep}

    def latent_dims(self, dataset: str, names=()) -> list[int]:
        """The latent sizes the header offers for ``dataset``: the zoo's, and those of the sweep models among
        ``names`` (every sweep's for a dataset the zoo lacks). A sweep's other sizes are not offered: the header
        would wrap to three lines, and its models open from the Compare tab."""
        self._load_named(names)
        self._load_dataset(dataset)
        entries = self.entries
        found = [e for e in entries.values() if e.dataset == dataset]
        if not any(e.sweep is None for e in found):
            return sorted({e.latent_dim for e in found})
        names = names if isinstance(names, list | tuple) else []
        shown = {
            entries[n].latent_dim
            for n in names
            if isinstance(n, str) and n in entries and entries[n].dataset == dataset
        }
        return sorted({e.latent_dim for e in found if e.sweep is None} | shown)

    def models(self, dataset: str, latent_dim: int, names=()) -> list[ModelEntry]:
        """The models the header offers for (dataset, latent_dim), in lineup order: PCA, AE, VAE, variants by
        β; then the models of the sweeps the models ``names`` belong to (every sweep's where the zoo has none)."""
        self._load_named(names)
        self._load_dataset(dataset)
        shown = self._shown_sweeps(names)
        found = self._all_models(dataset, latent_dim)
        zoo = any(e.sweep is None for e in found)
        return [e for e in found if e.sweep is None or e.sweep in shown or not zoo]

    def _all_models(self, dataset: str, latent_dim: int) -> list[ModelEntry]:
        found = [e for e in self.entries.values() if e.dataset == dataset and e.latent_dim == latent_dim]
        return sorted(found, key=ModelEntry.sort_key)

    def default_names(self, dataset: str, latent_dim: int) -> list[str]:
        """The lineup first shown for a dataset and latent size: one default model of each kind; where only
        sweeps have models, the sweep model whose β is nearest 1."""
        chosen, kinds = [], set()
        offered = self.models(dataset, latent_dim)
        for entry in offered:
            if entry.is_default and type(entry) not in kinds:
                kinds.add(type(entry))
                chosen.append(entry.name)
        if not chosen and offered:
            chosen = [
                min(offered, key=lambda e: (abs(math.log(e.beta)) if e.beta > 0 else math.inf, e.sort_key())).name
            ]
        return chosen

    def lineup(self, dataset, latent_dim, names=None) -> Lineup:
        """The models the page shows, checked once: ``names`` (a list, or None / empty for the default
        lineup) must all be ``dataset`` models with ``latent_dim`` dimensions. Raises :class:`InputError`."""
        if not isinstance(dataset, str) or dataset not in self.datasets():
            raise InputError(f"unknown dataset {dataset!r}; choose one of {', '.join(self.datasets())}")
        self._load_named([names] if isinstance(names, str) else names)
        self._load_dataset(dataset)
        dims = sorted({e.latent_dim for e in self.entries.values() if e.dataset == dataset})  # sweeps' too
        k = whole_number(latent_dim, 1, 1 << 20, "latent size")
        if k not in dims:
            raise InputError(f"no {dataset} models with latent size {k}; available: {dims}")
        if isinstance(names, str):
            names = [names]
        if not names:
            names = self.default_names(dataset, k)
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise InputError(f"models must be a list of model names, got {names!r}")
        available = {e.name: e for e in self._all_models(dataset, k)}
        unknown = [n for n in names if n not in available]
        if unknown:
            offered = [e.name for e in self.models(dataset, k)]
            more = len(available) - len(offered)
            raise InputError(
                f"no model named {unknown[0]!r} for {dataset} at latent size {k}; "
                f"choose from {', '.join(offered)}" + (f" (or {more} sweep models)" if more else "")
            )
        models = sorted({n: available[n] for n in names}.values(), key=ModelEntry.sort_key)
        return Lineup(dataset, k, models, self.images(dataset))

    def images(self, dataset: str) -> DatasetImages:
        """The test images every entry of ``dataset`` encoded, loaded once."""
        with self._images_lock:  # a request and the start-up warm-up may ask at once
            if dataset not in self._images:
                self._images[dataset] = self._load_images(dataset)
            return self._images[dataset]

    def _load_images(self, dataset: str) -> DatasetImages:
        """The first N test images, N the most codes any entry stored (a model trained with
        ``--test-subset`` stores fewer: the first ones, which its labels must match)."""
        entries = [e for e in self.entries.values() if e.dataset == dataset]
        n = max(len(e.z) for e in entries)
        cache = self._test_set_cache(dataset)
        if cache is not None and cache.exists():
            try:
                tensors = safetensors.torch.load_file(cache)
                images, labels = tensors["images"], tensors["labels"]
            except (OSError, KeyError, safetensors.SafetensorError) as error:  # a damaged cache: read again
                log.warning("ignoring the test-set cache %s: %s", cache, error)
            else:
                images = images.float() / 255 if images.dtype == torch.uint8 else images
                if not _mismatched(entries, labels):
                    return DatasetImages(images[:n], labels[:n], True)
        try:
            test, _ = load_test_split(dataset, self.data_dir, download=False)
            mismatched = _mismatched(entries, test.labels)
            if not mismatched:
                if cache is not None:
                    _write_test_set(cache, test.images, test.labels)
                return DatasetImages(test.images[:n], test.labels[:n], True)
            message = (
                f"the {dataset} test set on disk does not match the stored codes of "
                f"{', '.join(mismatched)} (retrain them, or remove them from the checkpoints folder)"
            )
        except DatasetMissingError as error:
            message = str(error)
            fetching = self._fetching.get(dataset)
            if fetching == DOWNLOADING:
                message = (
                    f"the {dataset} dataset is being downloaded into "
                    f"{resolve_data_dir(self.data_dir).resolve()}; choose it again in a minute"
                )
            elif fetching:  # the download's own message: what failed, the files expected, what to do
                message = fetching
        # Offline: show what the best available decoder makes of the stored codes, labelled as such.
        best = max(entries, key=lambda e: (len(e.z), e.rank, e.is_default, e.latent_dim))
        parts = [slice(i, i + 1000) for i in range(0, n, 1000)]
        images = torch.cat([best.decode(best.z[s], best.own_classes(s)) for s in parts]).cpu()
        return DatasetImages(
            images,
            best.labels,
            False,
            f"Showing {best.label} reconstructions of the stored codes, not the original images: {message}",
        )

    def fetch_missing(self) -> list[str]:
        """Download, with the datasets' own loaders, each test set the checkpoints need that is not on disk
        (unless downloads are off: ``$LATENT_EXPLORER_OFFLINE``). Meanwhile, and where there is no network,
        the app shows reconstructions; a lineup asked for after a download shows the originals. Returns
        the datasets fetched. Slow (network): run it in a thread once the server listens."""
        if not download_allowed(None):
            return []
        root = resolve_data_dir(self.data_dir)
        missing = [d for d in self.datasets() if not all((root / name).exists() for name in DATASETS[d].expected_files)]
        self._fetching.update(dict.fromkeys(missing, DOWNLOADING))  # what the offline message says meanwhile
        fetched = []
        for dataset in missing:
            try:
                load_test_split(dataset, self.data_dir, download=True)
            except DatasetMissingError as error:
                log.warning("could not download %s: %s", dataset, error)
                self._fetching[dataset] = str(error)
                self._drop_images(dataset)
                continue
            self._fetching.pop(dataset)
            self._drop_images(dataset)
            fetched.append(dataset)
        return fetched

    def _drop_images(self, dataset: str) -> None:
        """Read ``dataset``'s images again when next asked for (with the originals, or a new message)."""
        with self._images_lock:
            self._images.pop(dataset, None)

    def _test_set_cache(self, dataset: str) -> Path | None:
        """Where ``dataset``'s test set is kept once converted (read in milliseconds, without the dataset's
        loader or any unpickling); named by the source files' paths, sizes and times, so a changed file
        is read again. None without a cache folder or with a source file missing."""
        if self.cache_dir is None:
            return None
        root = resolve_data_dir(self.data_dir)
        parts = [dataset]
        for name in DATASETS[dataset].expected_files:
            try:
                stat = (root / name).stat()
            except OSError:
                return None
            parts.append(f"{(root / name).resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
        key = hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]
        return self.cache_dir / f"testset-{dataset}-{key}.safetensors"


def _mismatched(entries: list[ModelEntry], labels: torch.Tensor) -> list[str]:
    """Names of the entries whose stored labels are not the first labels of ``labels``."""
    return [
        e.name for e in entries if len(e.labels) > len(labels) or not torch.equal(labels[: len(e.labels)], e.labels)
    ]


def _write_test_set(path: Path, images: torch.Tensor, labels: torch.Tensor) -> None:
    """Images as uint8 where that is exact (they were bytes / 255), else float32; atomic."""
    as_bytes = (images * 255).round().to(torch.uint8)
    exact = torch.equal(as_bytes.float() / 255, images)
    tensors = {"images": as_bytes if exact else images.float().contiguous(), "labels": labels.contiguous()}
    write_atomic(path, safetensors.torch.save(tensors))


@dataclass(eq=False)
class Lineup:
    """The models shown side by side: one dataset, one latent size, models in display order."""

    dataset: str
    latent_dim: int
    models: list[ModelEntry]
    images: DatasetImages

    @property
    def key(self) -> str:
        """Names this lineup (for caches and the page's specs)."""
        return f"{self.dataset}/{self.latent_dim}/" + ",".join(m.name for m in self.models)

    @property
    def info(self) -> dict:
        """The dataset's description in the checkpoints: 'class_names', 'label_name', ..."""
        return self.models[0].meta["dataset"]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.models[0].image_shape

    @property
    def n_images(self) -> int:
        """Test images every model of the lineup has a code for (the first ones)."""
        return min(len(self.images.labels), *(len(m.z) for m in self.models))
