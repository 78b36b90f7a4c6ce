#!/usr/bin/env python3
"""rawapi.py (used by tests/suites/daemon.sh): talks to pvisor's control
socket without the pvisor CLI, to send what the CLI never would.

  rawapi.py SOCKET send        stdin is sent as is; prints the first reply
                               line, or "CLOSED" if the daemon hung up
  rawapi.py SOCKET idle N CMD  holds N idle connections open while CMD runs;
                               exits with CMD's status
  rawapi.py SOCKET events N    subscribes; prints the reply, then "ready"
                               on stderr, then N event lines, then exits
"""
import socket
import subprocess
import sys


def connect(path):
    # Blocking connect: with a timeout set, a UNIX socket whose backlog is
    # full fails at once (EAGAIN) instead of waiting for the daemon.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(30)
    return s


def send(path):
    data = sys.stdin.buffer.read()
    s = connect(path)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply = b""
    try:
        while not reply.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    except ConnectionResetError:
        pass
    print(reply.decode(errors="replace").strip() or "CLOSED")


def idle(path, count, cmd):
    held = [connect(path) for _ in range(count)]
    rc = subprocess.call(cmd)
    for s in held:
        s.close()
    return rc


def events(path, count):
    s = connect(path)
    s.settimeout(None)
    s.sendall(b'{"pvisor":1,"method":"subscribe"}\n')
    f = s.makefile("rb")
    print(f.readline().decode().strip(), flush=True)
    print("ready", file=sys.stderr, flush=True)
    for _ in range(count):
        line = f.readline()
        if not line:
            break
        print(line.decode().strip(), flush=True)


if __name__ == "__main__":
    if sys.argv[2] == "send":
        send(sys.argv[1])
    elif sys.argv[2] == "events":
        events(sys.argv[1], int(sys.argv[3]))
    else:
        sys.exit(idle(sys.argv[1], int(sys.argv[3]), sys.argv[4:]))
