#!/usr/bin/python3
# opened.py DIR... -- COMMAND...: run COMMAND, then print (one a line) the
# names in the DIRs whose entry of before the run was opened meanwhile
# (inotify IN_OPEN, which the kernel reports for device nodes too; an open
# after the name was deleted or created in the run is of a new file, not
# counted).  Exit status: COMMAND's.
import ctypes
import os
import struct
import subprocess
import sys

IN_OPEN, IN_CREATE, IN_DELETE = 0x20, 0x100, 0x200
sep = sys.argv.index("--")
dirs, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK)
if fd < 0:
    sys.exit("inotify_init1 failed")
for d in dirs:
    if libc.inotify_add_watch(fd, os.fsencode(d), IN_OPEN | IN_CREATE | IN_DELETE) < 0:
        sys.exit("inotify_add_watch %s failed" % d)
rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
names, replaced = set(), set()
while True:
    try:
        buf = os.read(fd, 65536)
    except BlockingIOError:
        break
    i = 0
    while i + 16 <= len(buf):
        _, mask, _, n = struct.unpack_from("iIII", buf, i)
        name = buf[i + 16:i + 16 + n].rstrip(b"\0").decode()
        if mask & (IN_CREATE | IN_DELETE):
            replaced.add(name)
        elif mask & IN_OPEN and name and name not in replaced:
            names.add(name)
        i += 16 + n
for n in sorted(names):
    print(n)
sys.exit(rc)
