import yaml


def read(text: str) -> object:
    # ruleid: microgate.yaml-unsafe-load
    data = yaml.load(text)
    # ruleid: microgate.yaml-unsafe-load
    yaml.load(text, Loader=yaml.Loader)
    # ruleid: microgate.yaml-unsafe-load
    yaml.unsafe_load(text)
    # ruleid: microgate.yaml-unsafe-load
    yaml.load(text, yaml.FullLoader)
    # ok: microgate.yaml-unsafe-load
    yaml.safe_load(text)
    # ok: microgate.yaml-unsafe-load
    yaml.load(text, Loader=yaml.SafeLoader)
    # ok: microgate.yaml-unsafe-load
    yaml.load(text, yaml.SafeLoader)
    return data
