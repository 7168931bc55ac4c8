"""Small OLE2 compound files (the container of DOC, XLS, MSI, PPT) built for the tests: a
header, one FAT sector, the directory and each stream in sectors of its own (every stream is
padded to 4 KB, so no mini stream is needed). Enough for ``olefile`` to read the streams
and the root's class id, which is what the upload check looks at."""

import struct
import uuid

SECTOR = 512
FREE, END, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF

WORD_CLSID = "00020906-0000-0000-C000-000000000046"
MSI_CLSID = "000C1084-0000-0000-C000-000000000046"


def _entry(name: str, kind: int, *, right=NOSTREAM, child=NOSTREAM, clsid="", start=END, size=0):
    encoded = (name + "\0").encode("utf-16-le")
    clsid_bytes = uuid.UUID(clsid).bytes_le if clsid else b"\0" * 16
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + clsid_bytes
        + struct.pack("<I", 0)
        + b"\0" * 16
        + struct.pack("<IQ", start, size)
    )


def compound_file(streams: dict[str, bytes], *, clsid: str = "") -> bytes:
    """An OLE2 file whose root holds ``streams`` (name → content)."""
    streams = {name: data.ljust(4096, b"\0") for name, data in streams.items()}
    entries_count = 1 + len(streams)
    dir_sectors = -(-entries_count * 128 // SECTOR)
    fat = [FAT_SECTOR]
    fat += [len(fat) + i + 1 for i in range(dir_sectors - 1)] + [END]
    starts, data = [], b""
    for content in streams.values():
        sectors = -(-len(content) // SECTOR)
        starts.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(sectors - 1)] + [END]
        data += content.ljust(sectors * SECTOR, b"\0")
    assert len(fat) <= SECTOR // 4, "too big for one FAT sector"
    directory = _entry("Root Entry", 5, child=1 if streams else NOSTREAM, clsid=clsid)
    for index, (name, content) in enumerate(streams.items(), start=1):
        right = index + 1 if index < len(streams) else NOSTREAM
        directory += _entry(name, 2, right=right, start=starts[index - 1], size=len(content))
    directory = directory.ljust(dir_sectors * SECTOR, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    fat_sector = b"".join(struct.pack("<I", v) for v in fat + [FREE] * (128 - len(fat)))
    return header + fat_sector + directory + data


def doc() -> bytes:
    return compound_file(
        {"WordDocument": b"\xec\xa5" + b"Szerz\xf5d\xe9s", "1Table": b"\0"}, clsid=WORD_CLSID
    )


def xls() -> bytes:
    return compound_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00"})


def msi() -> bytes:
    """An installer: the Windows Installer class id and its tables' streams."""
    return compound_file(
        {"\u4840\u3f3f\u4577\u446c": b"tables", "\x05SummaryInformation": b"\xfe\xff"},
        clsid=MSI_CLSID,
    )


def ppt() -> bytes:
    return compound_file({"PowerPoint Document": b"\0" * 8, "Current User": b"\0"})
