import json
import pickle


def restore(request) -> object:
    # ruleid: microgate.pickle-untrusted
    return pickle.loads(request.data)


def restore_file(path: str) -> object:
    with open(path, "rb") as handle:
        # ruleid: microgate.pickle-untrusted
        return pickle.load(handle)


def restore_json(request) -> object:
    # ok: microgate.pickle-untrusted
    return json.loads(request.data)
