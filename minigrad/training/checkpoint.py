"""Checkpoints: model, optimizer and scheduler state in one ``.npz`` file, no pickle.

Every array is stored under a namespaced key: ``model/<parameter name>``,
``optimizer/state/<index>/<name>``, ``scheduler/...``, ``extra/...``. Everything
that is not an array (learning rates, step counts, betas, an epoch number, a
history) goes into one JSON document stored as a uint8 array under
``__metadata__``, with each array replaced by a reference to its key. Loading
uses ``np.load(..., allow_pickle=False)``: a checkpoint can never run code.

The file is written atomically: into a temporary file in the same directory,
flushed to disk (``fsync``), then renamed over the old one (``os.replace``). A
crash midway leaves the previous checkpoint intact.
"""
import copy
import json
import os
import zipfile

import numpy as np

from .. import backend
from ..tensor import Tensor
from ..utils.files import ZIP_ARCHIVE, atomic_write, describe_file

__all__ = ["save_checkpoint", "load_checkpoint", "CheckpointError"]

FORMAT = "minigrad-checkpoint"
VERSION = 1
METADATA_KEY = "__metadata__"


class CheckpointError(ValueError):
    """A checkpoint does not fit the model, optimizer or scheduler it is loaded into."""


# ------------------------------------------------------------------ flattening
def _is_array(value):
    return isinstance(value, (np.ndarray, np.generic, Tensor)) or hasattr(value, "__cuda_array_interface__")


def _to_numpy(value):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.generic):
        return np.asarray(value)
    return backend.to_numpy(value)


def _flatten(value, key, arrays):
    """Turn nested dicts/lists/tuples into JSON, moving arrays into ``arrays`` under ``key``-based names."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if _is_array(value):
        array = _to_numpy(value)
        if array.dtype.kind in "OV" or array.dtype.hasobject:
            raise TypeError(f"cannot store {key!r}: arrays of Python objects need pickle, which checkpoints "
                            f"never use")
        arrays[key] = array
        return {"__array__": key, "scalar": isinstance(value, np.generic)}
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"cannot store {key!r}: dictionary keys must be strings or integers, got {k!r}")
            items.append([k, _flatten(v, f"{key}/{k}", arrays)])
        return {"__dict__": items}
    if isinstance(value, (list, tuple)):
        flat = [_flatten(v, f"{key}/{i}", arrays) for i, v in enumerate(value)]
        return {"__tuple__": flat} if isinstance(value, tuple) else flat
    raise TypeError(f"cannot store {key!r} of type {type(value).__name__} in a checkpoint: use arrays, numbers, "
                    f"strings, None, and lists/tuples/dicts of them (no pickle)")


def _unflatten(value, arrays):
    if isinstance(value, list):
        return [_unflatten(v, arrays) for v in value]
    if isinstance(value, dict):
        if "__array__" in value:
            key = value["__array__"]
            if key not in arrays:
                raise CheckpointError(f"checkpoint is damaged: its metadata refers to the missing array {key!r}")
            array = arrays[key]
            return array[()] if value.get("scalar") else array
        if "__tuple__" in value:
            return tuple(_unflatten(v, arrays) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: _unflatten(v, arrays) for k, v in value["__dict__"]}
    return value


# ------------------------------------------------------------------ saving
def save_checkpoint(path, model, optimizer=None, scheduler=None, **extra):
    """Save ``model`` (and ``optimizer``, ``scheduler``, any ``extra`` values) to ``path`` atomically.

    ``extra`` takes keyword values made of numbers, strings, arrays and
    lists/dicts of them: ``save_checkpoint("best.npz", model, opt, epoch=7,
    history=history.to_dict())``. ``load_checkpoint`` returns them. The file is
    written exactly at ``path`` (no suffix is added; ``.npz`` is customary).
    """
    arrays = {}
    model_state = model.state_dict()
    for name, value in model_state.items():
        arrays[f"model/{name}"] = _to_numpy(value)
    metadata = {"format": FORMAT, "version": VERSION, "model": list(model_state)}
    if optimizer is not None:
        metadata["optimizer"] = _flatten(optimizer.state_dict(), "optimizer", arrays)
        metadata["optimizer_class"] = type(optimizer).__name__
    if scheduler is not None:
        metadata["scheduler"] = _flatten(scheduler.state_dict(), "scheduler", arrays)
        metadata["scheduler_class"] = type(scheduler).__name__
    metadata["extra"] = _flatten(dict(extra), "extra", arrays)
    text = json.dumps(metadata)
    arrays[METADATA_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, durable=True) as file:
        np.savez(file, **arrays)
    return path


# ------------------------------------------------------------------ loading
def _not_a_checkpoint(path, what_it_is):
    return CheckpointError(f"{path!r} is not a minigrad checkpoint: it is {what_it_is}. load_checkpoint reads "
                           f"only the .npz files that save_checkpoint writes")


def _archive_description(names):
    arrays = [name[:-len(".npy")] for name in names if name.endswith(".npy")]
    if not names:
        return "an empty zip archive"
    if len(arrays) < len(names):
        return f"a zip archive that is not a NumPy .npz (it holds {_listed(names)})"
    return (f"a NumPy .npz archive without minigrad's keys (it holds {_listed(arrays)}, no {METADATA_KEY!r}), "
            f"as np.savez writes")


def _listed(names, limit=5):
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _read_arrays(path):
    """Every array in the .npz at ``path``; a ``CheckpointError`` for anything that is not one.

    NumPy's own messages are not passed on where they advise loading pickled data: a
    checkpoint never holds any, and a participant should not be told to trust a file.
    """
    try:
        kind = describe_file(path)
    except FileNotFoundError:
        raise
    except OSError as exc:  # no permission, an I/O error
        raise CheckpointError(f"cannot read checkpoint {path!r}: {exc.strerror or exc}") from exc
    if kind != ZIP_ARCHIVE:
        raise _not_a_checkpoint(path, kind)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, EOFError, OSError):
        raise CheckpointError(f"cannot read checkpoint {path!r}: it is a damaged zip archive (cut short while being "
                              f"copied or downloaded?)") from None
    if METADATA_KEY + ".npy" not in names:
        raise _not_a_checkpoint(path, _archive_description(names))
    arrays = {}
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            try:
                arrays[key] = data[key]
            except ValueError as exc:
                if "allow_pickle" in str(exc):  # NumPy's refusal of an array of Python objects
                    raise _not_a_checkpoint(path, f"an .npz whose entry {key!r} holds Python objects (a "
                                                  f"checkpoint holds only numbers and text)") from None
                raise CheckpointError(f"cannot read checkpoint {path!r}: its entry {key!r} is damaged "
                                      f"({exc})") from None
            except Exception as exc:  # noqa: BLE001 - a bad checksum, a member cut short
                raise CheckpointError(f"cannot read checkpoint {path!r}: its entry {key!r} is damaged "
                                      f"({type(exc).__name__}: {exc})") from None
            if not isinstance(arrays[key], np.ndarray):  # a member that is not a .npy comes back as bytes
                raise _not_a_checkpoint(path, f"a zip archive whose entry {key!r} is not a NumPy array")
    return arrays


def _read(path):
    path = os.fspath(path)
    arrays = _read_arrays(path)
    try:
        metadata = json.loads(arrays.pop(METADATA_KEY).tobytes().decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise CheckpointError(f"checkpoint {path!r} is damaged: its metadata is not readable JSON "
                              f"({exc})") from exc
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        found = metadata.get("format") if isinstance(metadata, dict) else type(metadata).__name__
        raise CheckpointError(f"{path!r} is not a minigrad checkpoint (format {found!r})")
    version = metadata.get("version", 0)
    if not isinstance(version, int):
        raise CheckpointError(f"checkpoint {path!r} is damaged: its version is {version!r}")
    if version > VERSION:
        raise CheckpointError(f"checkpoint version {version} is newer than this minigrad reads "
                              f"({VERSION}): upgrade minigrad")
    return metadata, arrays


def _check_model(model, arrays):
    own = model.state_dict()
    saved = {key[len("model/"):]: value for key, value in arrays.items() if key.startswith("model/")}
    missing = [name for name in own if name not in saved]
    unexpected = [name for name in saved if name not in own]
    wrong = [f"{name} (checkpoint {tuple(saved[name].shape)}, model {tuple(np.shape(own[name]))})"
             for name in own if name in saved and tuple(saved[name].shape) != tuple(np.shape(own[name]))]
    problems = []
    if missing:
        problems.append(f"missing from the checkpoint: {', '.join(missing)}")
    if unexpected:
        problems.append(f"in the checkpoint but not in the model: {', '.join(unexpected)}")
    if wrong:
        problems.append(f"shape mismatch: {'; '.join(wrong)}")
    if problems:
        raise CheckpointError("the checkpoint does not fit this model. " + ". ".join(problems)
                              + ". Was it saved from a model with another configuration?")
    return saved


def _check_optimizer(optimizer, state):
    """Group and parameter counts and the shapes of per-parameter buffers, named entry by entry."""
    groups = optimizer.param_groups
    saved_groups = state.get("param_groups", [])
    if len(saved_groups) != len(groups):
        raise CheckpointError(f"optimizer: the checkpoint has {len(saved_groups)} parameter groups, "
                              f"this optimizer has {len(groups)}")
    params = [p for group in groups for p in group["params"]]
    for g, (group, saved) in enumerate(zip(groups, saved_groups)):
        if len(saved.get("params", [])) != len(group["params"]):
            raise CheckpointError(f"optimizer: parameter group {g} has {len(group['params'])} parameters here and "
                                  f"{len(saved.get('params', []))} in the checkpoint")
    wrong = []
    for index, buffers in state.get("state", {}).items():
        index = int(index)
        if not 0 <= index < len(params):
            wrong.append(f"state of parameter {index} (this optimizer has {len(params)} parameters)")
            continue
        for name, value in buffers.items():
            shape = tuple(np.shape(value))
            if shape and shape != tuple(params[index].shape):
                wrong.append(f"optimizer/state/{index}/{name} (checkpoint {shape}, parameter "
                             f"{tuple(params[index].shape)})")
    if wrong:
        raise CheckpointError("the checkpoint's optimizer state does not fit: " + "; ".join(wrong))


def _check_class(kind, obj, metadata):
    saved = metadata.get(f"{kind}_class")
    if saved is not None and saved != type(obj).__name__:
        raise CheckpointError(f"the checkpoint's {kind} state comes from {saved}, but this {kind} is "
                              f"{type(obj).__name__}: load it into the same kind of {kind} ({saved}), or leave "
                              f"the {kind} out (load_checkpoint(path, model)) and start a fresh one")


def _try_optimizer(optimizer, state):
    """Run ``optimizer.load_state_dict`` on a shallow copy: every check it makes, nothing changed."""
    trial = copy.copy(optimizer)
    trial.param_groups = [dict(group) for group in optimizer.param_groups]
    trial.state = copy.copy(optimizer.state)
    try:
        trial.load_state_dict(state)
    except (ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"the checkpoint's optimizer state does not fit this {type(optimizer).__name__}: "
                              f"{exc}") from exc


def _check_scheduler(scheduler, state):
    """A scheduler's ``load_state_dict`` checks nothing: its saved entries must be the ones it keeps."""
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint is damaged: its scheduler state is a {type(state).__name__}")
    own = set(scheduler.state_dict())
    if set(state) != own:
        raise CheckpointError(f"the checkpoint's scheduler state does not fit this {type(scheduler).__name__}: "
                              f"it holds {sorted(state)}, this scheduler keeps {sorted(own)}")


def _prepare(metadata, arrays, model, optimizer, scheduler):
    """Everything ``load_checkpoint`` loads, checked against what it goes into; nothing is changed yet."""
    saved_model = _check_model(model, arrays)
    optimizer_state = scheduler_state = None
    if optimizer is not None:
        if "optimizer" not in metadata:
            raise CheckpointError("the checkpoint holds no optimizer state (it was saved without an optimizer)")
        optimizer_state = _unflatten(metadata["optimizer"], arrays)
        _check_optimizer(optimizer, optimizer_state)
        _check_class("optimizer", optimizer, metadata)
        _try_optimizer(optimizer, optimizer_state)
    if scheduler is not None:
        if "scheduler" not in metadata:
            raise CheckpointError("the checkpoint holds no scheduler state (it was saved without a scheduler)")
        _check_class("scheduler", scheduler, metadata)
        scheduler_state = _unflatten(metadata["scheduler"], arrays)
        _check_scheduler(scheduler, scheduler_state)
    extra = _unflatten(metadata.get("extra", {"__dict__": []}), arrays)
    if not isinstance(extra, dict):
        raise CheckpointError(f"checkpoint is damaged: its extra values are a {type(extra).__name__}")
    return saved_model, optimizer_state, scheduler_state, extra


def load_checkpoint(path, model, optimizer=None, scheduler=None):
    """Load a ``save_checkpoint`` file into ``model`` (and ``optimizer``, ``scheduler``).

    Everything is checked before anything is changed: a parameter missing from
    the file or from the model, one with another shape, an optimizer or a
    scheduler of another kind or setting, or damaged metadata raises
    ``CheckpointError`` naming the offending entry, and leaves the model, the
    optimizer and the scheduler as they were. Returns the ``extra`` values
    saved with it, as a dict.
    """
    metadata, arrays = _read(path)
    try:
        saved_model, optimizer_state, scheduler_state, extra = _prepare(metadata, arrays, model, optimizer,
                                                                        scheduler)
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:  # metadata of an unexpected shape
        raise CheckpointError(f"checkpoint {os.fspath(path)!r} is damaged: its metadata does not have the "
                              f"expected structure ({type(exc).__name__}: {exc})") from exc
    model.load_state_dict(saved_model)
    if optimizer is not None:
        optimizer.load_state_dict(optimizer_state)
    if scheduler is not None:
        scheduler.load_state_dict(scheduler_state)
    return extra
