#!/usr/bin/env python3
# tests/qemu.sh: when the guest's console asks for it (a line KITE-UNPLUG-NOW),
# hot-unplug the card: QMP device_del of the ivshmem device, as an operator
# pulling the card (ACPI hotplug on the pc machine). Ends when QEMU does.
#   qmp-unplug.py QMP_SOCKET SERIAL_LOG DEVICE_ID
import json
import socket
import sys
import time

sock_path, serial_log, dev_id = sys.argv[1:4]


def requested():
    try:
        with open(serial_log, "rb") as f:
            return b"KITE-UNPLUG-NOW" in f.read()
    except OSError:
        return False


def qmp(f, cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
    f.flush()
    while True:  # skip events until the answer
        reply = json.loads(f.readline())
        if "return" in reply or "error" in reply:
            return reply


for _ in range(6000):  # QEMU starts within a minute, even on a loaded host
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock_path)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("qmp-unplug: no QMP socket")
f = s.makefile("rw")
f.readline()  # greeting
qmp(f, "qmp_capabilities")
while not requested():
    time.sleep(0.2)
print("qmp-unplug:", qmp(f, "device_del", id=dev_id), flush=True)
