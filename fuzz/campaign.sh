#!/bin/bash
# A fuzzing campaign: runs each target until it has done RUNS executions or TIME seconds have
# passed (whichever comes first; issue 9 asks for >= 10 million or >= 30 minutes), then prints a
# table of executions, seconds, executions per second, corpus growth and crashes.
#
#   fuzz/campaign.sh                      # every target, 10M runs or 1800 s each
#   RUNS=1000000 TIME=60 fuzz/campaign.sh mtf_block scsi_sense
#
# New corpus entries go to $WORK/corpus/<target> (seeded from fuzz/corpus/<target>, which is not
# modified), crashes to $WORK/artifacts/<target>/. Minimise a crash with
# `cargo fuzz tmin -s none <target> <file>` and commit it under fuzz/regressions/<target>/, where
# `cargo test` replays it. Stable toolchain, no sanitizer (`-s none`): a panic or an abort is a crash.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
TIME=${TIME:-1800}
WORK=${WORK:-$PWD/target/campaign}
if [ $# -eq 0 ]; then
    set -- $(ls fuzz_targets | sed 's/\.rs$//')
fi
cargo fuzz build -s none >/dev/null 2>&1 || cargo fuzz build -s none
mkdir -p "$WORK"
summary="$WORK/summary.tsv"
printf 'target\texecutions\tseconds\texec/s\tcorpus\tcrashes\tresult\n' >"$summary"
for t in "$@"; do
    mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t"
    log="$WORK/$t.log"
    before=$(ls "$WORK/corpus/$t" | wc -l)
    start=$(date +%s)
    set +e
    cargo fuzz run -s none "$t" "$WORK/corpus/$t" "corpus/$t" -- \
        -runs="$RUNS" -max_total_time="$TIME" -timeout=60 -rss_limit_mb=2048 \
        -artifact_prefix="$WORK/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    secs=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    execs=${execs:-$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')}
    crashes=$(ls "$WORK/artifacts/$t" | wc -l)
    after=$(ls "$WORK/corpus/$t" | wc -l)
    result=ok; [ "$rc" -ne 0 ] && result="exit $rc (see $log)"
    printf '%s\t%s\t%s\t%s\t+%s\t%s\t%s\n' "$t" "${execs:-?}" "$secs" \
        "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "$(( after - before ))" "$crashes" "$result" \
        | tee -a "$summary"
done
column -t -s $'\t' "$summary"
