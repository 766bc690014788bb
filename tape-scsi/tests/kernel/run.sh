#!/usr/bin/env bash
# Kernel proof of tape-scsi (see tape-scsi/README.md): boots a Debian kernel with scsi_debug
# tape emulation under QEMU (TCG), loads scsi_mod, st, sg and scsi_debug ptype=1, and runs the
# static `kernel-proof` program through StDrive (/dev/nst0) and SgDrive (/dev/sg0).
# Exits 0 only if every check passed; the last line is the summary.
#
# Downloads are cached in $NTBACKUP_KERNEL_CACHE (default ~/.cache/ntbackup-kernel-test), never
# in the repository. Needs root for apt-get the first time; QEMU runs as any user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${NTBACKUP_KERNEL_CACHE:-$HOME/.cache/ntbackup-kernel-test}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
log() { printf 'kernel proof: %s (%ss)\n' "$*" "$(( $(date +%s) - start ))" >&2; }
fail() { echo "kernel proof: 0 passed, 1 failed ($*)"; exit 1; }

release=$("$here/fetch.sh" "$cache") || fail "could not fetch a kernel with scsi_debug tape emulation"
kdir=$cache/kernel-$release
moddir=$kdir/usr/lib/modules/$release
vmlinuz=$(ls "$kdir/boot/vmlinuz-$release" "$moddir/vmlinuz" 2>/dev/null | head -n1 || true)
[ -n "$vmlinuz" ] || fail "no vmlinuz in the kernel package"
log "kernel $release"

log "building the static proof program"
target_dir=${CARGO_TARGET_DIR:-$repo/target}
(cd "$repo" && RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release --locked \
    -p tape-scsi --example kernel-proof --target x86_64-unknown-linux-gnu) \
    || fail "building kernel-proof"
proof=$target_dir/x86_64-unknown-linux-gnu/release/examples/kernel-proof
file "$proof" 2>/dev/null | grep -q 'statically linked\|static-pie' || ldd "$proof" 2>&1 | grep -q 'not a dynamic\|statically' \
    || fail "kernel-proof is not statically linked"

log "building the initramfs"
root=$work/initrd
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount insmod sleep poweroff cat echo grep dmesg ls; do ln -s busybox "$root/bin/$applet"; done
cp "$proof" "$root/bin/kernel-proof"

# Modules in load order, dependencies first (from each module's .modinfo "depends=").
declare -A loaded=()
order=()
add_module() {
    local name=$1 file deps dep
    [ -n "${loaded[$name]:-}" ] && return 0
    loaded[$name]=1
    file=$(find "$moddir/kernel" -name "$name.ko*" | head -n1)
    [ -n "$file" ] || fail "module $name not found"
    case $file in
        *.xz) xz -dc "$file" ;;
        *.zst) zstd -dc "$file" ;;
        *) cat "$file" ;;
    esac >"$root/lib/modules/$name.ko"
    deps=$(strings "$root/lib/modules/$name.ko" | sed -n 's/^depends=//p' | head -n1 | tr ',' ' ')
    for dep in $deps; do add_module "${dep//-/_}"; done
    order+=("$name")
}
for m in scsi_mod st sg scsi_debug; do add_module "$m"; done

cat >"$root/init" <<INIT
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in ${order[*]}; do
    case \$m in
        scsi_debug) insmod /lib/modules/\$m.ko ptype=1 delay=0 ;;
        *) insmod /lib/modules/\$m.ko ;;
    esac || echo "PROOF insmod \$m failed"
done
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/nst0 ] && [ -e /dev/sg0 ] && break; sleep 1; done
cat /sys/class/scsi_tape/nst0/device/model 2>/dev/null | sed 's/^/# device: /'
/bin/kernel-proof st /dev/nst0 2>&1 | sed 's/^/PROOF /'
/bin/kernel-proof sg /dev/sg0 2>&1 | sed 's/^/PROOF /'
echo "PROOF done"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

boot() {
    timeout 540 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 -nographic -no-reboot \
        -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
        -append "console=ttyS0 panic=-1 loglevel=4" >"$work/console.log" 2>&1
    echo "qemu exit status $?" >>"$work/console.log"
    tr -d '\r' <"$work/console.log" | sed -n 's/^PROOF //p' | tee "$work/proof.log" >&2
    if [ "${NTBACKUP_KERNEL_LOG:-}" ]; then cp "$work/console.log" "$NTBACKUP_KERNEL_LOG"; fi
    grep -q '^done$' "$work/proof.log"
}

log "booting QEMU (TCG)"
if ! boot; then
    # The guest never reached the end of its script: say what its console showed, then boot
    # once more (an emulated machine that failed to come up once has been seen; a proof that
    # fails for a reason of ours fails again, and the first console is in the log).
    log "the guest did not finish; the end of its console:"
    tr -d '\r' <"$work/console.log" | tail -n 40 | sed 's/^/    /' >&2
    log "booting QEMU (TCG) again"
    boot || {
        tr -d '\r' <"$work/console.log" | tail -n 40 | sed 's/^/    /' >&2
        fail "the guest did not finish twice (its console is above)"
    }
fi
passed=0 failed=0
while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done < <(
    sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$work/proof.log")
runs=$(grep -cE ': [0-9]+ passed, [0-9]+ failed$' "$work/proof.log" || true)
[ "$runs" = 2 ] || failed=$((failed + 1))
echo "kernel proof ($release, $(( $(date +%s) - start ))s, st and SG_IO over scsi_debug): $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
