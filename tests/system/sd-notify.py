#!/usr/bin/python3
"""A stand-in for systemd's side of a Type=notify service with a file
descriptor store, for tests/system/systemd.sh (CI has no systemd as PID 1).

    sd-notify.py SOCKET LOG PIDFILE -- COMMAND...

Runs COMMAND with NOTIFY_SOCKET=SOCKET, a unix datagram socket it
reads: each message goes to LOG on one line (its lines joined by " | ",
then "fds=N").  FDSTORE=1 keeps the descriptors under FDNAME,
FDSTOREREMOVE=1 drops them; after each, "store N" (N descriptors held)
goes to LOG.  When COMMAND dies of a signal (Restart=on-failure), it
runs it again with the store passed as systemd does (descriptors from 3,
LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID); when it exits, so does this,
with its status.  COMMAND's pid is in PIDFILE.
"""
import os
import select
import socket
import sys


def main():
    path, log, pidfile = sys.argv[1:4]
    cmd = sys.argv[5:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(path):
        os.unlink(path)
    sock.bind(path)
    store = []          # [(name, fd)]
    out = open(log, "a", buffering=1)

    def start():
        pid = os.fork()
        if pid == 0:
            env = dict(os.environ, NOTIFY_SOCKET=path)
            if store:
                fds = [fd for _, fd in store]
                # Out of the way first, then in place from 3.
                high = [os.dup(fd) for fd in fds]
                for i, fd in enumerate(high):
                    os.dup2(fd, 3 + i, inheritable=True)
                env.update(LISTEN_FDS=str(len(fds)),
                           LISTEN_FDNAMES=":".join(n for n, _ in store),
                           LISTEN_PID=str(os.getpid()))
            os.execvpe(cmd[0], cmd, env)
        with open(pidfile, "w") as f:
            f.write("%d\n" % pid)
        return pid

    pid = start()
    while True:
        r, _, _ = select.select([sock], [], [], 0.05)
        if r:
            msg, fds, _, _ = socket.recv_fds(sock, 65536, 16)
            text = msg.decode(errors="replace")
            out.write("%s fds=%d\n" % (text.strip().replace("\n", " | "),
                                       len(fds)))
            fields = dict(l.split("=", 1) for l in text.split("\n") if "=" in l)
            name = fields.get("FDNAME", "stored")
            if fields.get("FDSTOREREMOVE") == "1":
                for n, fd in [e for e in store if e[0] == name]:
                    os.close(fd)
                store[:] = [e for e in store if e[0] != name]
            if fields.get("FDSTORE") == "1":
                store.extend((name, fd) for fd in fds)
                fds = []
            for fd in fds:
                os.close(fd)
            if "FDSTORE" in fields or "FDSTOREREMOVE" in fields:
                out.write("store %d\n" % len(store))
            continue
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            continue
        if os.WIFSIGNALED(status):
            out.write("died of signal %d: restarted\n" % os.WTERMSIG(status))
            pid = start()
            continue
        out.write("exited %d\n" % os.WEXITSTATUS(status))
        sys.exit(os.WEXITSTATUS(status))


main()
