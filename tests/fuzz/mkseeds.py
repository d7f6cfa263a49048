#!/usr/bin/env python3
# mkseeds.py: write the hand-made seeds of the wire, chan, farm-expr and
# http targets into tests/fuzz/corpus/<target>/ (committed; rerun after
# a protocol change).  The farm seeds are copies of farm files.
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))

HELLO, CONFIG, PING, PONG = 0x0001, 0x0002, 0x0010, 0x0011
CALL, RESULT, CANCEL = 0x0100, 0x0101, 0x0102


def frame(t, body=b"", cid=0):
    return struct.pack("<III", t, len(body), cid) + body


def hello(version=1, max_frame=1 << 20):
    return frame(HELLO, struct.pack("<II", version, max_frame))


def call(cid, iface, op, arg, deadline=0):
    head = struct.pack("<HHI", len(iface), len(op), deadline)
    return frame(CALL, head + iface + op + arg, cid)


def result(cid, status, payload):
    return frame(RESULT, struct.pack("<I", status) + payload, cid)


streams = {
    "hello": hello(),
    "hello-min": hello(1, 4096),
    "hello-v9": hello(9, 1 << 30),
    "session": hello() + frame(CONFIG, b"role R\ninstance f-r\n"
                               b"export IPayment Authorize\n") +
    frame(PING, b"12345678") + frame(PONG, b"abcdefgh"),
    "calls": hello() + call(1, b"IPayment", b"Authorize", b"order-1",
                            5000) +
    call(2, b"IOrderProcessing", b"Process", b"") + frame(CANCEL, cid=2) +
    result(1, 0, b"ok") + result(7, 1, b"handler failed"),
    "bad-type": hello() + frame(0x0200, b"x"),
    "bad-len": hello() + frame(PING, b"1234"),
    "bad-name": hello() + call(3, b"9bad", b"Op", b"a"),
    "bad-status": hello() + result(4, 99, b""),
    "no-hello": call(1, b"I", b"O", b"arg"),
    "two-hellos": hello() + hello(),
    "truncated": hello() + call(1, b"IPayment", b"Authorize", b"x" * 40)[:30],
    "big-config": hello() + frame(CONFIG, b"import IX Op\n" * 300),
}


def write(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# wire: flags, max_frame (le32), stream.  chan: mode byte, stream.
for i, (name, s) in enumerate(sorted(streams.items())):
    write("wire", name, bytes([(i * 37) & 0xff]) +
          struct.pack("<I", 4096 + i * 1000) + s)
    write("chan", name, bytes([i & 0x1f]) + s)
write("wire", "huge-max", bytes([2]) + struct.pack("<I", 0xffffffff) +
      frame(CONFIG, b"c") + struct.pack("<III", CONFIG, 0xfffffff8, 0))

# farm-expr: selector byte, then the text of `baltic set`.
exprs = [b"or(p1, p2)", b"ref or failover(pay, bank)", b"par(p1, p2, p1)",
         b"remote IPayment \"http://10.0.0.1:80/x\"", b"bank", b"(p1)",
         b"or roundrobin(par(p1, p2), ref p2)", b"vm OrderProcessing",
         b"or(processing, p1)", b"ref ref ref bank", b"or leastout(\n p1,\n)",
         b"payment"]
for i, e in enumerate(exprs):
    write("farm-expr", "e%02d" % i, bytes([i]) + e)

# http: operation selector, then the body.
bodies = [(0, b""), (1, b"order-1"), (1, "caf\u00e9".encode()), (2, b"-42"),
          (2, b"9223372036854775808"), (3, b"true"), (4, b"\x00\xff"),
          (5, b"[1, -2]"), (6, b'["s\\u00e9\\n", 3, false, "b"]'),
          (7, b' [ "a" , "b" , "c" ] '), (5, b"[1 2]"),
          (1, b"http://127.0.0.1:9090/pay"), (1, b"[::1]:8080"),
          (1, b"host.example:65535")]
for i, (sel, b) in enumerate(bodies):
    write("http", "b%02d" % i, bytes([sel]) + b)
