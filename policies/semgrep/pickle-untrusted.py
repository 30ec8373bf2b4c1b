import _pickle
import json
import marshal
import pickle
import shelve

import torch


def restore(request) -> object:
    # ruleid: microgate.pickle-untrusted
    return pickle.loads(request.data)


def restore_file(path: str) -> object:
    with open(path, "rb") as handle:
        # ruleid: microgate.pickle-untrusted
        return pickle.load(handle)


def restore_other_ways(data: bytes, path: str) -> list:
    # ruleid: microgate.pickle-untrusted
    first = _pickle.loads(data)
    # ruleid: microgate.pickle-untrusted
    second = marshal.loads(data)
    # ruleid: microgate.pickle-untrusted
    third = shelve.open(path)
    # ruleid: microgate.pickle-untrusted
    model = torch.load(path)
    return [first, second, third, model]


def restore_json(request) -> object:
    # ok: microgate.pickle-untrusted
    return json.loads(request.data)


def restore_weights(path: str) -> object:
    # ok: microgate.pickle-untrusted
    return torch.load(path, weights_only=True)


def save(value: object) -> bytes:
    # ok: microgate.pickle-untrusted
    return pickle.dumps(value)
