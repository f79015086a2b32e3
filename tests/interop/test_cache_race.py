#!/usr/bin/env python3
"""The interop setups of all configurations start at once and each resolves its kernel
package (tests/interop/nvmet_support.py fetch_kernel) before taking the cache lock. A CI
run failed when two of them wrote the same resolved-<kernel>.tmp and the second rename
found it gone. This runs eight resolutions at once against a private cache, with the
package already prepared, and fails if any of them raises."""
import multiprocessing
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nvmet_support  # noqa: E402

PKG = "linux-image-test"


def resolve(cache):
    # apt-cache stands in for a slow resolution, so that the writers overlap.
    nvmet_support.resolve_package = lambda pkg: (time.sleep(0.05), PKG)[1]
    try:
        return nvmet_support.fetch_kernel(cache, "6.1")[1]
    except Exception as e:  # noqa: BLE001 - any exception is the failure reported
        return "%s: %s" % (type(e).__name__, e)


def main():
    cache = tempfile.mkdtemp(prefix="interop-cache-race-")
    try:
        os.makedirs(os.path.join(cache, PKG))
        with open(os.path.join(cache, PKG, "ready"), "w") as f:
            f.write("6.1.0-test\n")
        failed = 0
        for rnd in range(3):
            # Each round resolves again: the alias file is removed, as a newer apt list would make it stale.
            for name in os.listdir(cache):
                if name.startswith("resolved-"):
                    os.unlink(os.path.join(cache, name))
            with multiprocessing.Pool(8) as pool:
                results = pool.map(resolve, [cache] * 8)
            bad = [r for r in results if r != "6.1.0-test"]
            print("round %d: %d of 8 resolutions failed %s" % (rnd, len(bad), bad[:2]))
            failed += len(bad)
        left = sorted(n for n in os.listdir(cache) if ".tmp" in n)
        if left:
            print("temporary files left in the cache: %s" % left)
            failed += 1
        return 1 if failed else 0
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
