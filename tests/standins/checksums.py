"""
The checksums S3 Batch Operations' Compute checksum (S3ComputeObjectChecksum) offers, computed here from the object's
bytes, for the S3 Control stand-in. botocore computes CRC64NVME and CRC32C only through the optional awscrt package
(absent here), so those two are table-driven CRCs from their catalogue parameters:

  CRC-64/NVME  width 64, reflected, poly 0xad93d23594c93659 (reversed 0x9a6c9329ac4bc9b5), init and xorout all ones,
               check ("123456789") 0xae8b14860a799888
  CRC-32C      width 32, reflected, poly 0x1edc6f41 (reversed 0x82f63b78), init and xorout all ones, check 0xe3069283
  CRC-32       zlib's, check 0xcbf43926

Each checksum is its big-endian digest bytes, as S3 gives them (base64 in x-amz-checksum-*).
"""
import hashlib
import zlib


def _table(reversed_poly, width):
    mask = (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ reversed_poly if crc & 1 else crc >> 1
        table.append(crc & mask)
    return table


class _ReflectedCrc:
    def __init__(self, table, width):
        self.table, self.width, self.mask = table, width, (1 << width) - 1
        self.crc = self.mask

    def update(self, data):
        crc, table = self.crc, self.table
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self.crc = crc

    def digest(self):
        return (self.crc ^ self.mask).to_bytes(self.width // 8, "big")


_CRC64NVME = _table(0x9A6C9329AC4BC9B5, 64)
_CRC32C = _table(0x82F63B78, 32)


class _Crc32:
    def __init__(self):
        self.crc = 0

    def update(self, data):
        self.crc = zlib.crc32(data, self.crc)

    def digest(self):
        return self.crc.to_bytes(4, "big")


FACTORIES = {
    "CRC32": _Crc32,
    "CRC32C": lambda: _ReflectedCrc(_CRC32C, 32),
    "CRC64NVME": lambda: _ReflectedCrc(_CRC64NVME, 64),
    "MD5": hashlib.md5,
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
}


def new(algorithm):
    return FACTORIES[algorithm]()


def of(algorithm, data):
    hasher = new(algorithm)
    hasher.update(data)
    return hasher.digest()
