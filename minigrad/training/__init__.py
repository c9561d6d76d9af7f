"""Training tools for the lessons and the case study.

``train_step`` takes one optimizer step (every loop here takes its steps with
it); ``fit`` runs the loop and returns a ``History``; ``diagnose`` reads a history
(or a list of losses) and names what went wrong; ``lr_find`` runs the
learning-rate range test; ``EarlyStopping`` stops when validation stops
improving; ``save_checkpoint`` / ``load_checkpoint`` store everything in one
``.npz`` file, without pickle.
"""
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .diagnose import Diagnosis, diagnose
from .early_stopping import EarlyStopping
from .fit import TrainingDiverged, evaluate, fit
from .history import History
from .lr_finder import LRFinderResult, lr_find
from .smoothing import DebiasedAverage, smooth
from .step import StepResult, train_step

__all__ = ["train_step", "StepResult", "fit", "evaluate", "History", "TrainingDiverged", "diagnose", "Diagnosis",
           "lr_find", "LRFinderResult", "EarlyStopping", "save_checkpoint", "load_checkpoint", "CheckpointError",
           "smooth", "DebiasedAverage"]
