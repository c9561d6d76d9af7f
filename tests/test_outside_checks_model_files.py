"""The case study's load_model says what a file is when it is not a saved model (never NumPy's pickle advice)."""
import numpy as np
import pytest

from coursekit.casestudy import lm


@pytest.mark.parametrize("make, what", [
    (lambda p: p.mkdir(), "a directory"),
    (lambda p: p.write_text("lr = 0.01\n"), "a text file"),
    (lambda p: np.save(p.with_suffix(".npy"), np.zeros(3)) or p.with_suffix(".npy").rename(p), "np.save"),
    (lambda p: np.savez(p, weights=np.zeros(2)), "an .npz without"),
])
def test_load_model_names_what_a_wrong_file_is(tmp_path, make, what):
    path = tmp_path / "model.npz"
    make(path)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(ValueError) as error:
        lm.load_model(path)
    message = str(error.value)
    assert "is not a model saved by save_model" in message and what in message
    assert not any(word in message.lower() for word in ("pickle", "allow_pickle", "unsafe"))
    assert (path.read_bytes() if path.is_file() else None) == before  # the file is left as it was
