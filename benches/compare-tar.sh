#!/bin/bash
# Compares `ntbackup backup`/`restore` with GNU tar on the same trees, alternating runs in one
# session: see benches/README.md. Usage:
#
#   benches/compare-tar.sh                 # both trees, 5 pairs each
#   benches/compare-tar.sh --pairs 7 small # one tree, more pairs
#   benches/compare-tar.sh rss             # peak RSS of a backup of a 1,000,000-file tree
#   benches/compare-tar.sh --cold small    # the page cache dropped before each backup (root)
#   benches/compare-tar.sh dirs            # 200,000 files in directories of 10
#   benches/compare-tar.sh inc             # incremental backups of that shape, a tenth changed
#
# Trees are built once under $BENCH_DIR (default target/compare-tar) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p ntbackup-cli
exec python3 benches/compare_tar.py --ntbackup "${CARGO_TARGET_DIR:-target}/release/ntbackup" "$@"
