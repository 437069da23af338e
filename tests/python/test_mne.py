"""MNE-Python Raw and Epochs objects are accepted where arrays are (tested when MNE is installed;
the test extras install it)."""
import numpy as np
import pytest
import torch

import gpac

mne = pytest.importorskip("mne")


def test_raw_and_epochs(rng):
    data = rng.standard_normal((4, 3000))
    info = mne.create_info(["a", "b", "c", "d"], sfreq=500.0, ch_types="eeg")
    raw = mne.io.RawArray(data, info, verbose="error")
    ref = gpac.pac(data, 500.0, [[4, 8]], [[60, 90]])
    torch.testing.assert_close(gpac.pac(raw, None, [[4, 8]], [[60, 90]]).mi, ref.mi, rtol=0, atol=0)
    torch.testing.assert_close(gpac.modulation_index(raw, 500.0, [[4, 8]], [[60, 90]]), ref.mi, rtol=0, atol=0)
    epochs = mne.EpochsArray(rng.standard_normal((5, 2, 1500)), mne.create_info(2, 500.0, "eeg"), verbose="error")
    res = gpac.pac(epochs, None, [[4, 8]], [[60, 90]], n_perm=6, surrogate="swap_trials", seed=1)
    assert res.mi.shape == (2, 5, 1, 1)  # (n_channels, n_epochs, ...): epochs are the trial axis
    direct = gpac.pac(epochs.get_data().transpose(1, 0, 2), 500.0, [[4, 8]], [[60, 90]], n_perm=6,
                      surrogate="swap_trials", seed=1)
    torch.testing.assert_close(res.z, direct.z, rtol=0, atol=0)
    with pytest.raises(ValueError, match="differs from the MNE object's sampling frequency"):
        gpac.pac(raw, 512.0, [[4, 8]], [[60, 90]])
    with pytest.raises(ValueError, match="fs .* is required"):
        gpac.pac(np.zeros((2, 100)), None, [[4, 8]], [[60, 90]])
