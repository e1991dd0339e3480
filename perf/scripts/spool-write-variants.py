#!/usr/bin/env python3
"""CPU per audit record of ways to write the agent's spool, as the relay and the fsync thread do it.

Each run appends RECORDS records of RECORD_BYTES to a fresh 8 MiB segment on the same disk as the spool
(/work or $SPOOL_TEST_DIR) and syncs every SYNC_EVERY records (≈ the 5 ms commit interval at 4,000 transactions
per second, two records per transaction). Prints user + system CPU per record (getrusage; this VM's split between
the two is tick-based, so read the sum) and the CPU of preparing the segment. Modes:
  append-fsync     pwrite at the end, fsync                      (the spool as it is)
  append-fdatasync pwrite at the end, fdatasync
  zeroed           pwrite into a segment zero-filled ahead, fdatasync (no size change, no block allocation)
  fallocated       pwrite into a fallocate'd segment, fdatasync   (unwritten extents converted at writeback)
  mmap-fallocated  memcpy into a shared mapping of a fallocate'd segment, fdatasync
  mmap-zeroed      memcpy into a shared mapping of a zero-filled segment, fdatasync
Usage: perf/scripts/spool-write-variants.py [REPS]
"""
import mmap, os, resource, sys

RECORDS, RECORD_BYTES, SYNC_EVERY, SEGMENT = 14000, 560, 40, 8 * 1024 * 1024
MODES = ["append-fsync", "append-fdatasync", "zeroed", "fallocated", "mmap-fallocated", "mmap-zeroed"]


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(mode, directory):
    path = os.path.join(directory, f"spool-variant-{mode}.log")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        t0 = cpu()
        if "zeroed" in mode:
            zeros = b"\0" * 65536
            for _ in range(SEGMENT // len(zeros)):
                os.write(fd, zeros)
            os.fsync(fd)
        if "fallocated" in mode:
            os.posix_fallocate(fd, 0, SEGMENT)
        view = mmap.mmap(fd, SEGMENT, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE) if mode.startswith("mmap") else None
        t1 = cpu()
        record = b"x" * RECORD_BYTES
        sync = os.fsync if mode == "append-fsync" else os.fdatasync
        offset = 0
        for i in range(RECORDS):
            if view is not None:
                view[offset:offset + RECORD_BYTES] = record
            else:
                os.pwrite(fd, record, offset)
            offset += RECORD_BYTES
            if i % SYNC_EVERY == 0:
                sync(fd)
        t2 = cpu()
        if view is not None:
            view.close()
        return (t1 - t0) * 1e3, (t2 - t1) / RECORDS * 1e6
    finally:
        os.close(fd)
        os.unlink(path)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    directory = os.environ.get("SPOOL_TEST_DIR", "/work")
    results = {m: [] for m in MODES}
    for _ in range(reps):
        for mode in MODES:
            results[mode].append(run(mode, directory))
    for mode in MODES:
        per = sorted(r[1] for r in results[mode])
        prep = sorted(r[0] for r in results[mode])
        print(f"{mode:17s} cpu/record median {per[len(per) // 2]:5.2f} us  runs {' '.join(f'{p:5.2f}' for p in per)}  prepare {prep[len(prep) // 2]:5.1f} ms")


if __name__ == "__main__":
    main()
