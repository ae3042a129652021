#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets. fuzz_model: short driver
sessions that start a queue, post RX buffers and send frames by descriptor and
by PIO, so the fuzzer starts from inputs that move frames (offsets from
include/kite/regs.def and hw.h; run again after a contract change: make
fuzz-seeds). fuzz_api: libkite call sequences (op, arg byte pairs)."""
import os
import struct

OP_REG32, OP_REG64, OP_MEM, OP_DB, OP_PIO, OP_STEP = range(6)
Q_CTRL, Q_TX_RING, Q_TX_CQ, Q_RX_RING, Q_RX_CQ, Q_PIO_CQ, Q_RX_BUF = (
    0x1000, 0x1010, 0x1018, 0x1020, 0x1028, 0x1030, 0x1008)
Q_STRIDE, P_CTRL, CFG_COMMIT = 0x100, 0x0400, 0x0108
TXR, TXCQ, RXR, RXCQ, PIOCQ, BUFS = 0x0, 0x1000, 0x2000, 0x3000, 0x4000, 0x10000


def op(kind, a=0, b=0, off=0, val=0):
    return struct.pack("<BBHIQ", kind, a, b, off, val & (2**64 - 1))


def rel(offset):
    """A value that fuzz_model turns into IOVA-of-our-memory + offset."""
    return offset  # with b=1, val % (MEM_LEN + PAGE) is added to the region's IOVA


def start_queue(q, log2=3):
    base = q * Q_STRIDE
    s = b""
    for reg, off in ((Q_TX_RING, TXR), (Q_TX_CQ, TXCQ), (Q_RX_RING, RXR),
                     (Q_RX_CQ, RXCQ), (Q_PIO_CQ, PIOCQ)):
        s += op(OP_REG64, b=1, off=reg + base, val=rel(off))
    s += op(OP_REG32, off=Q_RX_BUF + base, val=2048)
    s += op(OP_REG32, off=Q_CTRL + base, val=1 | log2 << 16 | log2 << 24)
    return s + op(OP_STEP)


def default_queue(q):
    return op(OP_REG32, off=P_CTRL, val=1 | 1 << 1 | q << 8) + \
        op(OP_REG32, off=CFG_COMMIT, val=1) + op(OP_STEP)


def post_rx(n, q=1):
    s = b""
    for i in range(n):
        s += op(OP_MEM, b=1, off=RXR + 8 * i, val=rel(BUFS + 0x8000 + 2048 * i))
    return s + op(OP_DB, a=q, b=1, val=n)


def send(n, q=1, length=64):
    s = b""
    for i in range(n):
        s += op(OP_MEM, off=BUFS + 2048 * i, val=0xffffffffffff)       # broadcast dst
        s += op(OP_MEM, b=1, off=TXR + 16 * i, val=rel(BUFS + 2048 * i))
        s += op(OP_MEM, off=TXR + 16 * i + 8, val=length)
    return s + op(OP_DB, a=q, b=0, val=n) + op(OP_STEP, a=3)


def pio(q=1, length=64):
    return op(OP_PIO, a=q, off=0, val=length) + op(OP_PIO, a=q, off=8, val=-1) + \
        op(OP_DB, a=q, b=2, val=1) + op(OP_STEP, a=3)


seeds = {
    "descriptor": start_queue(1) + default_queue(1) + post_rx(4) + send(3),
    "pio": start_queue(1) + default_queue(1) + post_rx(2) + pio(),
    "no-buffers": start_queue(1) + default_queue(1) + send(2),
    "wrap": start_queue(1) + default_queue(1) + post_rx(8) + send(8) + post_rx(8) + send(8),
}
# fuzz_api: 0 alloc, 1 free, 2 send, 3 receive, 4 reap, 5 step, 6 reopen, 7 send freed,
# 8 destroy; each op is (op, arg)
ALLOC, FREE, SEND, RECV, REAP, STEP = range(6)
api = {
    "round-trip": bytes([ALLOC, 0] * 8 + [SEND, 7, STEP, 0, STEP, 0, RECV, 7, REAP, 0] +
                        [FREE, 0] * 8),
    "double-free": bytes([ALLOC, 0, ALLOC, 0, FREE, 0x80, SEND, 1, STEP, 0, RECV, 3]),
    "same-packet-twice": bytes([ALLOC, 0, SEND, 3, STEP, 0, RECV, 7, 6, 0, 8, 0]),
    "foreign": bytes([ALLOC, 1, SEND, 0, ALLOC, 0, SEND, 0x40, 7, 0]),
}
base = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
for sub, corpus in (("model", seeds), ("api", api)):
    os.makedirs(os.path.join(base, sub), exist_ok=True)
    for name, data in corpus.items():
        with open(os.path.join(base, sub, name), "wb") as f:
            f.write(data)
    print("fuzz seeds for %s: %s" % (sub, ", ".join(sorted(corpus))))
