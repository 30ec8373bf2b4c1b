import xml.sax

import defusedxml.ElementTree
from lxml import etree


def parse_upload(data: bytes) -> object:
    # ruleid: microgate.xxe
    parser = etree.XMLParser(resolve_entities=True)
    return etree.fromstring(data, parser)


def parse_with_dtd(data: bytes) -> object:
    # ruleid: microgate.xxe
    parser = etree.XMLParser(load_dtd=True, no_network=False)
    return etree.fromstring(data, parser)


def sax_reader() -> object:
    reader = xml.sax.make_parser()
    # ruleid: microgate.xxe
    reader.setFeature(xml.sax.handler.feature_external_ges, True)
    return reader


def parse_safely(data: bytes) -> object:
    # ok: microgate.xxe
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def parse_defused(data: bytes) -> object:
    # ok: microgate.xxe
    return defusedxml.ElementTree.fromstring(data)
