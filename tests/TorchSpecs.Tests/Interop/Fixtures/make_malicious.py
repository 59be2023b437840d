#!/usr/bin/env python3
"""Makes evil.pth: a torch.save zip whose pickle, when unpickled by Python's pickle (torch.load
without weights_only), calls os.system to create the marker file /tmp/torchspecs-pickle-payload-ran.
InteropTests loads it through ModelWeights and asserts that it is refused and that the marker
does not exist afterwards. Running this script does not run the payload; loading evil.pth in
Python would.

    /usr/bin/python3 tests/TorchSpecs.Tests/Interop/Fixtures/make_malicious.py
"""
import os

import torch

MARKER = "/tmp/torchspecs-pickle-payload-ran"


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    torch.save({"conv1.weight": torch.zeros(1), "conv1.bias": Payload()}, os.path.join(here, "evil.pth"))
    print("wrote evil.pth; its payload would create", MARKER)
