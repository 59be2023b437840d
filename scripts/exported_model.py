"""Loads the model class from a file `torchspecs export MODEL --format pytorch` wrote (shared by
scripts/train_ddp.py and bench/pytorch_bench.py)."""
import importlib.util


def load_class(path, name):
    """The class called name in the exported .py file at path."""
    spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)
