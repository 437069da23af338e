"""Worker for test_distributed.py, started by torchrun: gpac.distributed.pac on a .npy dataset
with the options given as JSON; rank 0 saves the result as .npz (or each rank its shard)."""
import json
import sys

import numpy as np

import gpac.distributed as gd


def main() -> None:
    data, options, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    gd.init(backend="gloo", timeout=60)
    x = np.load(data, mmap_mode="r")
    shard_dir = options.pop("out_dir", None)
    res = gd.pac(x, 512.0, "lres", "lres", out_dir=shard_dir, **options)
    if res is not None:
        np.savez(out, **{k: getattr(res, k).numpy() for k in ("mi", "z", "p", "amp_dist")
                         if getattr(res, k) is not None})


if __name__ == "__main__":
    main()
