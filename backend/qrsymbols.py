"""QR symbols for many URLs at once: module for module what the qrcode library makes
(version by fit, the mask it would choose), at a small fraction of its time per code.

The library spends ~5 ms on one code, nearly all of it scoring the eight masks in pure
Python, so a street of 10,000 stickers would take a minute. Here the function patterns,
the format bits and the order data modules are filled in come from the library once per
version; encoding, error correction, masking and the penalty scores run in numpy over
a batch of codes. tests/test_print_sheet.py checks the result against the library's own.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache

import numpy as np
import qrcode
from qrcode import LUT, base, util
from qrcode.constants import ERROR_CORRECT_H
from qrcode.exceptions import DataOverflowError

MASKS = 8
BATCH = 1024  # codes scored at once
# Up to version 11 (61 modules) a row fits one 64-bit word. A printed URL is version 3;
# anything longer than version 11 is left to the library.
MAX_PACKED_VERSION = 11
# qrcode.QRCode.add_data's default: a run of at least 20 digits gets numeric mode.
CHUNK_MINIMUM = 20

_EXP = np.array(base.EXP_TABLE[:255], dtype=np.int32)
_LOG = np.array(base.LOG_TABLE, dtype=np.int32)


def symbols(urls: list[str], error_correction: int = ERROR_CORRECT_H) -> list[np.ndarray]:
    """Each URL's symbol as a square bool array (True is dark), without the quiet zone,
    equal to `qrcode.QRCode(error_correction=…)` after `add_data(url)` and `make()`."""
    streams = [_bit_stream(url, error_correction) for url in urls]
    found: list[np.ndarray | None] = [None] * len(urls)
    for version in {version for version, _ in streams}:
        at = [i for i, (v, _) in enumerate(streams) if v == version]
        if version > MAX_PACKED_VERSION:
            for i in at:
                found[i] = _library_symbol(urls[i], error_correction)
            continue
        for start in range(0, len(at), BATCH):
            batch = at[start : start + BATCH]
            data = np.frombuffer(b"".join(streams[i][1] for i in batch), dtype=np.uint8)
            data = data.reshape(len(batch), -1)
            for i, symbol in zip(batch, _masked(version, error_correction, data), strict=True):
                found[i] = symbol
    return found


# -- the bits ------------------------------------------------------------------------------
class _Bits:
    """What QRData.write needs of a buffer, kept in one int instead of bit by bit."""

    def __init__(self):
        self.value, self.length = 0, 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | number
        self.length += length


def _segments(chunks, version: int) -> _Bits:
    bits = _Bits()
    for chunk in chunks:
        bits.put(chunk.mode, 4)
        bits.put(len(chunk), util.length_in_bits(chunk.mode, version))
        chunk.write(bits)
    return bits


def _bit_stream(url: str, error_correction: int) -> tuple[int, bytes]:
    """(version, data codewords), as the library's best_fit and create_data make them."""
    chunks = list(util.optimal_data_chunks(url, minimum=CHUNK_MINIMUM))
    version, settled = 1, False
    while not settled:
        bits = _segments(chunks, version)
        fit = bisect_left(util.BIT_LIMIT_TABLE[error_correction], bits.length, version)
        if fit > 40:
            raise DataOverflowError(url)
        # The count fields grow at versions 10 and 27: a bigger version may need more bits.
        settled = util.mode_sizes_for_version(fit) is util.mode_sizes_for_version(version)
        version = fit
    limit = util.BIT_LIMIT_TABLE[error_correction][version]
    terminator = min(limit - bits.length, 4)
    bits.put(0, terminator + (-(bits.length + terminator)) % 8)
    pads = (limit - bits.length) // 8
    tail = bytes((util.PAD0, util.PAD1)[i % 2] for i in range(pads))
    return version, bits.value.to_bytes(bits.length // 8, "big") + tail


def _codewords(version: int, error_correction: int, data: np.ndarray) -> np.ndarray:
    """Data and Reed-Solomon codewords, interleaved block by block, for each row of data."""
    data_blocks, ec_blocks, offset = [], [], 0
    for block in base.rs_blocks(version, error_correction):
        part = data[:, offset : offset + block.data_count].astype(np.int32)
        offset += block.data_count
        data_blocks.append(part)
        ec_blocks.append(_remainder(part, block.total_count - block.data_count))
    columns = _interleaved(data_blocks) + _interleaved(ec_blocks)
    return np.stack(columns, axis=1).astype(np.uint8)


def _interleaved(blocks: list[np.ndarray]) -> list[np.ndarray]:
    """The first codeword of every block, then the second of every block, and so on."""
    longest = max(block.shape[1] for block in blocks)
    return [block[:, i] for i in range(longest) for block in blocks if i < block.shape[1]]


def _remainder(data: np.ndarray, count: int) -> np.ndarray:
    """data × x^count mod the generator polynomial, by long division in GF(256)."""
    generator = _LOG[np.array(LUT.rsPoly_LUT[count][1:])]
    remainder = np.zeros((data.shape[0], count), dtype=np.int32)
    for i in range(data.shape[1]):
        lead = data[:, i] ^ remainder[:, 0]
        remainder[:, :-1] = remainder[:, 1:]
        remainder[:, -1] = 0
        terms = _EXP[(_LOG[lead][:, None] + generator) % 255]
        remainder ^= np.where(lead[:, None] != 0, terms, 0)
    return remainder


# -- the modules ---------------------------------------------------------------------------
class _Template:
    """One version's modules with no data (the function patterns, then the mask's own
    pattern over the data region), for every mask: as printed, and as scored, packed by
    row and by column. Plus where each data bit goes.

    The library scores a candidate before it writes the format bits (they are all light
    then); the standard would score them as printed. The choice must be the library's,
    so the score is too."""

    def __init__(self, version: int, error_correction: int):
        qr = qrcode.QRCode(version=version, error_correction=error_correction)
        side = version * 4 + 17

        def modules(test: bool, mask: int, byte: int) -> np.ndarray:
            # More bytes than the symbol holds: its remainder bits get the byte's bits too.
            qr.data_cache = [byte] * (side * side // 8 + 1)
            qr.makeImpl(test, mask)
            return np.array(qr.modules, dtype=bool)

        self.side = side
        self.printed = np.stack([modules(False, mask, 0) for mask in range(MASKS)])
        scored = np.stack([modules(True, mask, 0) for mask in range(MASKS)])
        self.scored_rows, self.scored_columns = _packed(scored), _packed(scored.swapaxes(1, 2))
        self.order = _placement(modules(False, 0, 0xFF) != self.printed[0])


def _placement(data_region: np.ndarray) -> np.ndarray:
    """Flat indexes of the data modules in the order bits fill them: two columns at a
    time from the right, up then down, stepping over the vertical timing pattern."""
    side, order, upward = len(data_region), [], True
    for pair in range(side - 1, 0, -2):
        right = pair - 1 if pair <= 6 else pair
        for row in range(side - 1, -1, -1) if upward else range(side):
            order += [row * side + col for col in (right, right - 1) if data_region[row, col]]
        upward = not upward
    return np.array(order)


@lru_cache(maxsize=8)
def _template(version: int, error_correction: int) -> _Template:
    return _Template(version, error_correction)


def _masked(version: int, error_correction: int, data: np.ndarray) -> np.ndarray:
    template = _template(version, error_correction)
    side = template.side
    bits = np.unpackbits(_codewords(version, error_correction, data), axis=1)
    placed = np.zeros((len(data), side * side), dtype=bool)
    placed[:, template.order[: bits.shape[1]]] = bits
    placed = placed.reshape(-1, side, side)
    # Masking flips data modules, so it is an XOR, on packed rows as on modules.
    rows = _packed(placed)[:, None] ^ template.scored_rows
    columns = _packed(placed.swapaxes(1, 2))[:, None] ^ template.scored_columns
    # The first mask with the lowest penalty wins, as in the library's best_mask_pattern.
    best = _penalties(rows, columns, side).argmin(axis=1)
    return template.printed[best] ^ placed


def _library_symbol(url: str, error_correction: int) -> np.ndarray:
    qr = qrcode.QRCode(error_correction=error_correction)
    qr.add_data(url)
    qr.make(fit=True)
    return np.array(qr.modules, dtype=bool)


# -- the penalty rules, on rows packed into 64-bit words ---------------------------------------
def _packed(modules: np.ndarray) -> np.ndarray:
    """Each row of a stack (..., side, side) as a uint64 whose highest bit is column 0."""
    packed = np.packbits(modules, axis=-1)
    words = np.zeros((*packed.shape[:-1], 8), dtype=np.uint8)
    words[..., : packed.shape[-1]] = packed
    return words.view(">u8")[..., 0].astype(np.uint64)


def _leading(count: int) -> np.uint64:
    """The bits of a packed row's first `count` columns."""
    return np.uint64(((1 << count) - 1) << (64 - count))


def _penalties(rows: np.ndarray, columns: np.ndarray, side: int) -> np.ndarray:
    """The library's lost_point of each symbol in a stack, given its rows and its columns
    packed (..., side)."""
    dark = np.bitwise_count(rows).sum(axis=-1)
    share = dark / (side * side)
    balance = 10 * np.floor(np.abs(share * 100 - 50) / 5).astype(np.int64)  # rule 4
    return (
        _runs(rows, side)
        + _runs(columns, side)
        + _blocks(rows, side)
        + _finder_like(rows, side)
        + _finder_like(columns, side)
        + balance
    )


def _runs(lines: np.ndarray, side: int) -> np.ndarray:
    """Rule 1: a run of L ≥ 5 same-coloured modules in a line costs L − 2, counted as its
    L − 4 windows of five plus 2 for the window it starts with. (`x << k` brings column
    c + k to column c.)"""
    same = ~(lines ^ (lines << 1)) & _leading(side - 1)
    five = same & (same << 1) & (same << 2) & (same << 3)
    starts = five & ~(same >> 1)
    return _count(five) + 2 * _count(starts)


def _blocks(rows: np.ndarray, side: int) -> np.ndarray:
    """Rule 2: 3 for every 2 × 2 block of one colour."""
    upper, lower = rows[..., :-1], rows[..., 1:]
    down = ~(upper ^ lower)
    across = ~(upper ^ (upper << 1))
    return 3 * _count(down & (down << 1) & across & _leading(side - 1))


def _finder_like(lines: np.ndarray, side: int) -> np.ndarray:
    """Rule 3: 40 for every window of 11 modules in a line that reads dark-light-dark-dark-
    dark-light-dark with four light modules after it, or before it."""
    d, light = lines, ~lines & _leading(side)
    core = d & (light << 1) & (d << 2) & (d << 3) & (d << 4) & (light << 5) & (d << 6)
    four_light = light & (light << 1) & (light << 2) & (light << 3)
    return 40 * _count((core & (four_light << 7)) | (four_light & (core << 4)))


def _count(bits: np.ndarray) -> np.ndarray:
    return np.bitwise_count(bits).sum(axis=-1).astype(np.int64)
