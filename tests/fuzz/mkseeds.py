#!/usr/bin/env python3
# mkseeds.py: write the hand-made seeds of the wire, chan, farm-expr,
# http and keep targets into tests/fuzz/corpus/<target>/ (committed; rerun
# after a protocol or record format change).  The farm seeds are copies
# of farm files.
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
         b"payment", b"par hedge 10(p1, p2)", b"par hedge p95 (p1, p2, p1)"]
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

# keep: selector byte (even: a keeper message, odd: a call record), then
# the packet or the record (toolstack/keep/keep.h).
KEEP_PUT, KEEP_DEL, KEEP_LIST, KEEP_ENTRY, KEEP_END, KEEP_QUIT = range(1, 7)


def keep_msg(t, key=b"", val=b"", version=1):
    return struct.pack("<III", version, t, len(key)) + key + val


def keep_call(attempts=(), request=None, arg=None, reached=0):
    rec = (b"farm shop\nexport 0\ncall IPayment.Authorize\n"
           b"deadline 1234567890\nreached %d\n" % reached)
    if request is not None:
        rec += b"request %d %d\n" % request
    for inst, cid in attempts:
        rec += b"attempt %s %d\n" % (inst, cid)
    if arg is not None:
        rec += b"arg %d\n" % len(arg) + arg
    return rec


msgs = {
    "put-listen": keep_msg(KEEP_PUT, b"listen shop 127.0.0.1:8080"),
    "put-conn": keep_msg(KEEP_PUT, b"conn shop 0 17", keep_call()),
    "del": keep_msg(KEEP_DEL, b"call 42"),
    "list": keep_msg(KEEP_LIST),
    "entry": keep_msg(KEEP_ENTRY, b"call 7", b"\x00\xffvalue"),
    "quit": keep_msg(KEEP_QUIT),
    "bad-version": keep_msg(KEEP_END, version=2),
}
for name, m in sorted(msgs.items()):
    write("keep", "msg-" + name, b"\x00" + m)
calls = {
    "min": keep_call(),
    "arg": keep_call(arg=b"order-1\n\x00\xff"),
    "arg-empty": keep_call(reached=1, arg=b""),
    "attempts": keep_call(attempts=((b"shop-pay-0", 3), (b"shop-pay-1", 9)),
                          reached=1),
    "request": keep_call(request=(312, 0xcbf29ce484222325),
                         attempts=((b"shop-pay-0", 1),), arg=b"x"),
}
for name, c in sorted(calls.items()):
    write("keep", "call-" + name, b"\x01" + c)
