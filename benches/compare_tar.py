#!/usr/bin/env python3
"""Times ntbackup against GNU tar on the same trees, in alternating pairs (see compare-tar.sh).

For each tree: tar -b2048 -cf OUT.tar TREE against ntbackup backup TREE --tape file:OUT.bkf,
then tar -xf OUT.tar against ntbackup restore --tape file:OUT.bkf, alternating which goes
first. Both write real files on the same file system (never /dev/null: tar would read nothing).
Reports medians, files/s, MB/s (10^6 bytes), the ratio, and each tool's peak RSS; and the raw
read ceiling of the large tree (1 MiB reads of every file into /dev/null, which does read).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

SMALL = ("small", 200, 1000, 4096)  # 200 directories x 1000 files x 4 KiB = 200,000 files
LARGE = ("large", 1, 4, 200 << 20)  # 4 files x 200 MiB
HUGE = ("million", 1000, 1000, 0)  # 1,000,000 empty files, for peak RSS
# The same 200,000 files as SMALL in directories of 10, the shape of most real trees.
DIRS = ("dirs", 20000, 10, 4096)
# DIRS again, for incremental backups: a tenth of its files change between the full backup
# and each incremental.
INC = ("inc", 20000, 10, 4096)


def build_tree(root, dirs, files, size):
    """Builds the tree once; incompressible content, distinct per file."""
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    seed = os.urandom(1 << 20)
    for d in range(dirs):
        dpath = os.path.join(root, f"d{d:04}") if dirs > 1 else root
        os.makedirs(dpath, exist_ok=True)
        for f in range(files):
            with open(os.path.join(dpath, f"f{f:05}"), "wb") as out:
                left, k = size, d * files + f
                while left:
                    n = min(left, len(seed))
                    out.write(k.to_bytes(8, "little") + seed[8:n] if n >= 8 else seed[:n])
                    left -= n
                    k += 1
    open(marker, "w").close()


def tree_stats(root):
    files = total = 0
    for dirpath, _, names in os.walk(root):
        for n in names:
            files += 1
            total += os.lstat(os.path.join(dirpath, n)).st_size
    return files, total


def warm(root):
    """Reads every file so both tools start from a warm page cache."""
    for dirpath, _, names in os.walk(root):
        for n in names:
            with open(os.path.join(dirpath, n), "rb") as f:
                while f.read(1 << 20):
                    pass


def drop_caches():
    """Writes back and evicts the page cache, dentries and inodes (root only), so that the next
    run reads the tree from the disk, as a nightly job mostly does. tmpfs outputs stay."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def run(argv, env=None, cwd=None):
    """Runs argv; returns (seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(argv)} exited with {code}:\n{err}")
    return secs, usage.ru_maxrss / 1024


def raw_read(root):
    """1 MiB reads of every file into /dev/null (dd reads; only its output is discarded)."""
    files = sorted(os.path.join(d, n) for d, _, ns in os.walk(root) for n in ns
                   if not n.startswith("."))
    start = time.perf_counter()
    for f in files:
        subprocess.run(["dd", f"if={f}", "of=/dev/null", "bs=1M", "status=none"], check=True)
    return time.perf_counter() - start


def fmt_rate(files, total, secs):
    return f"{files / secs:>12,.0f} files/s {total / secs / 1e6:>9,.1f} MB/s"


def scaled(args, tree_def):
    """The tree a --scale below 1 asks for (fewer directories, smaller large files)."""
    name, dirs, files, size = tree_def
    if args.scale >= 1:
        return tree_def
    if dirs > 1:
        return (f"{name}-{args.scale}", max(1, int(dirs * args.scale)), files, size)
    return (f"{name}-{args.scale}", dirs, files, max(1, int(size * args.scale)))


def compare(args, tree_def):
    name, dirs, files, size = scaled(args, tree_def)
    tree = os.path.join(args.dir, name)
    print(f"== {name} tree: building (once) in {tree}", flush=True)
    build_tree(tree, dirs, files, size)
    nfiles, total = tree_stats(tree)
    nfiles -= 1  # the .complete marker
    warm(tree)
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    tar_out, bkf = os.path.join(work, "OUT.tar"), os.path.join(work, "OUT.bkf")
    home = os.path.join(work, "home")
    env = dict(os.environ, NTBACKUP_HOME=home)
    times = {k: [] for k in ("tar -cf", "ntbackup backup", "tar -xf", "ntbackup restore")}
    rss = {k: 0.0 for k in times}

    def clean(*paths):
        for p in paths:
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)

    def backup(tool):
        if args.cold:
            drop_caches()
        if tool == "tar -cf":
            clean(tar_out)
            return run(["tar", "-b2048", "-cf", tar_out, "."], cwd=tree)
        clean(bkf, home)
        return run([args.ntbackup, "backup", tree, "--tape", f"file:{bkf}", "--job", "bench"],
                   env=env)

    def restore(tool):
        dest = os.path.join(work, "dest")
        clean(dest)
        os.makedirs(dest)
        if tool == "tar -xf":
            return run(["tar", "-xf", tar_out, "-C", dest])
        return run([args.ntbackup, "restore", "--tape", f"file:{bkf}", "--to", dest], env=env)

    for i in range(args.pairs):
        order = [0, 1] if i % 2 == 0 else [1, 0]
        for step, tools in ((backup, ("tar -cf", "ntbackup backup")),
                            (restore, ("tar -xf", "ntbackup restore"))):
            for j in order:
                secs, peak = step(tools[j])
                times[tools[j]].append(secs)
                rss[tools[j]] = max(rss[tools[j]], peak)
        print(f"   pair {i + 1}: " + "  ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()),
              flush=True)
    print(f"   {nfiles:,} files, {total / 1e6:,.0f} MB; medians of {args.pairs} alternating pairs:")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k in times:
        print(f"   {k:<17}{med[k]:>8.3f} s {fmt_rate(nfiles, total, med[k])}   "
              f"peak RSS {rss[k]:>6.1f} MiB")
    print(f"   backup:  ntbackup/tar = {med['tar -cf'] / med['ntbackup backup']:.2f}x")
    print(f"   restore: ntbackup/tar = {med['tar -xf'] / med['ntbackup restore']:.2f}x")
    if name.startswith("large"):
        # The physical ceiling and a backup that writes nothing (a null drive: every block is
        # taken and forgotten), alternated like the pairs above.
        raws, nulls = [], []
        for _ in range(args.pairs):
            raws.append(raw_read(tree))
            clean(home)
            nulls.append(run([args.ntbackup, "backup", tree, "--tape", "null:", "--job", "bench"],
                             env=env)[0])
        raw, null = statistics.median(raws), statistics.median(nulls)
        print(f"   raw read (dd bs=1M), median of {args.pairs}: {raw:.3f} s "
              f"{total / raw / 1e6:,.1f} MB/s")
        print(f"   ntbackup backup --tape null:, median of {args.pairs}: {null:.3f} s "
              f"{total / null / 1e6:,.1f} MB/s = {raw / null:.2f}x the raw read")
    clean(work)


def incremental(args):
    """A nightly incremental: after a full backup (ntbackup's normal backup with its catalog,
    tar's level 0 with --listed-incremental), a tenth of the files change (their first bytes
    are rewritten); then alternating pairs of `tar --listed-incremental` (from the level-0
    snapshot file each time) and `ntbackup backup --type incremental` (from the full backup's
    catalog each time)."""
    name, dirs, files, size = scaled(args, INC)
    tree = os.path.join(args.dir, name)
    print(f"== {name} tree: building (once) in {tree}", flush=True)
    build_tree(tree, dirs, files, size)
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    home0, home = os.path.join(work, "home0"), os.path.join(work, "home")
    snar0, snar = os.path.join(work, "snar0"), os.path.join(work, "snar")
    tar_out, bkf = os.path.join(work, "OUT.tar"), os.path.join(work, "OUT.bkf")
    parent, base = os.path.split(tree)
    warm(tree)
    run([args.ntbackup, "backup", tree, "--tape", f"file:{bkf}", "--job", "bench", "--type",
         "normal"], env=dict(os.environ, NTBACKUP_HOME=home0))
    run(["tar", f"--listed-incremental={snar0}", "-b2048", "-cf", tar_out, base], cwd=parent)
    os.remove(bkf)
    os.remove(tar_out)
    time.sleep(0.01)  # a change in the same clock tick as the backups would still show (ctime)
    changed = 0
    for d in range(dirs):
        dpath = os.path.join(tree, f"d{d:04}") if dirs > 1 else tree
        for f in range(3, files, 10):
            with open(os.path.join(dpath, f"f{f:05}"), "r+b") as out:
                out.write(os.urandom(8))
            changed += 1
    nfiles, total = tree_stats(tree)
    warm(tree)
    times = {"tar --listed-incremental": [], "ntbackup --type incremental": []}

    def backup(tool):
        for p in (tar_out, bkf, snar):
            if os.path.exists(p):
                os.remove(p)
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(home0, home)
        shutil.copyfile(snar0, snar)
        if args.cold:
            drop_caches()
        if tool.startswith("tar"):
            return run(["tar", f"--listed-incremental={snar}", "-b2048", "-cf", tar_out, base],
                       cwd=parent)[0]
        return run([args.ntbackup, "backup", tree, "--tape", f"file:{bkf}", "--job", "bench",
                    "--type", "incremental"], env=dict(os.environ, NTBACKUP_HOME=home))[0]

    tools = list(times)
    for i in range(args.pairs):
        for j in ([0, 1] if i % 2 == 0 else [1, 0]):
            times[tools[j]].append(backup(tools[j]))
        print(f"   pair {i + 1}: " + "  ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()),
              flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"   {nfiles - 1:,} files, {changed:,} changed; medians of {args.pairs} alternating "
          f"pairs{' (page cache dropped before each)' if args.cold else ''}:")
    for k in tools:
        print(f"   {k:<28}{med[k]:>8.3f} s")
    print(f"   incremental: ntbackup/tar = {med[tools[0]] / med[tools[1]]:.2f}x")
    shutil.rmtree(work)


def million(args):
    name, dirs, files, size = scaled(args, HUGE)
    tree = os.path.join(args.dir, name)
    print(f"== {name} tree: building (once) in {tree}", flush=True)
    build_tree(tree, dirs, files, size)
    warm(tree)
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = dict(os.environ, NTBACKUP_HOME=os.path.join(work, "home"))
    secs, peak = run([args.ntbackup, "backup", tree, "--tape",
                      f"file:{os.path.join(work, 'OUT.bkf')}", "--job", "bench"], env=env)
    print(f"   ntbackup backup of {dirs * files:,} files: {secs:.1f} s, peak RSS {peak:.1f} MiB")
    shutil.rmtree(work)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--ntbackup", required=True)
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--scale", type=float, default=1.0,
                   help="build smaller trees (CI runs the script end to end at 0.005)")
    p.add_argument("--dir", default=os.environ.get("BENCH_DIR", "target/compare-tar"))
    # No `choices`: Python 3.11's argparse checks a list default against them as one value.
    p.add_argument("trees", nargs="*",
                   help="small, large, dirs, inc and/or rss (default: small large)")
    p.add_argument("--work", default=os.environ.get(
        "BENCH_WORK", "/dev/shm/ntbackup-compare" if os.path.isdir("/dev/shm") else None),
        help="where OUT.tar, OUT.bkf and restores go (default: tmpfs, see benches/README.md)")
    p.add_argument("--cold", action="store_true",
                   help="drop the page cache before each backup (needs root): the trees are "
                        "read from the disk")
    args = p.parse_args()
    if args.cold and not os.access("/proc/sys/vm/drop_caches", os.W_OK):
        p.error("--cold drops the page cache through /proc/sys/vm/drop_caches: run it as root")
    args.trees = args.trees or ["small", "large"]
    for t in args.trees:
        if t not in ("small", "large", "dirs", "inc", "rss"):
            p.error(f"unknown tree {t!r}: choose from small, large, dirs, inc, rss")
    if args.work is None:
        args.work = os.path.join(args.dir, "work")
    args.work = os.path.abspath(args.work)
    args.dir = os.path.abspath(args.dir)
    args.ntbackup = os.path.abspath(args.ntbackup)
    print(f"ntbackup: {args.ntbackup}; tar: "
          f"{subprocess.run(['tar', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}; "
          f"{os.cpu_count()} CPUs")
    for t in args.trees:
        if t == "rss":
            million(args)
        elif t == "inc":
            incremental(args)
        else:
            compare(args, {"small": SMALL, "large": LARGE, "dirs": DIRS}[t])


if __name__ == "__main__":
    main()
