#!/usr/bin/env bash
# Fetches what the kernel proof needs, from Debian's archive only (scsi-tape.md §9.1.2–9.1.3):
# host packages through apt, and a trixie-backports kernel whose scsi_debug has tape emulation.
# The kernel is downloaded through a *private* apt configuration under the cache directory, so the
# machine's own apt sources are left untouched (adding trixie-backports system-wide would let apt
# offer backports upgrades of unrelated packages).
#
# Usage: fetch.sh CACHE_DIR        Prints the kernel release (e.g. 6.17.13+deb13-amd64) on stdout.
set -euo pipefail
cache=$1
mkdir -p "$cache"
log() { printf 'fetch: %s\n' "$*" >&2; }

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
applets=$(/bin/busybox --list 2>/dev/null || true)
grep -qx insmod <<<"$applets" || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
command -v nm >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# A kernel that has scsi_debug tape emulation (6.15+): trixie-backports. Any later version that
# passes the nm check below serves as well (§9.1.3).
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d"
mirror=$(grep -hoE 'https?://deb\.debian\.org/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
cat >"$apt_dir/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie-backports main
SRC
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
    -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
    -o "APT::Architecture=amd64" -o "APT::Architectures=amd64" -o "Debug::NoLocking=1")

release_file=$cache/release
if [ ! -s "$release_file" ]; then
    log "resolving the trixie-backports kernel"
    apt-get "${apt_opts[@]}" update -qq >&2
    # linux-image-amd64 in trixie-backports depends on the current linux-image-<release>-amd64.
    pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-amd64 2>/dev/null \
        | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$pkg" ] || { log "no kernel package found in trixie-backports"; exit 1; }
    release=${pkg#linux-image-}
    release=${release%-unsigned}
    # Older kernels ship everything in linux-image-*; newer ones split the kernel and the
    # modules into linux-binary-* and linux-modules-*, which linux-image-* depends on.
    pkgs=("$pkg")
    for dep in $(apt-cache "${apt_opts[@]}" depends "$pkg" 2>/dev/null \
        | awk '/Depends: linux-(binary|modules)-/ {print $2}'); do
        pkgs+=("$dep")
    done
    log "downloading ${pkgs[*]}"
    (cd "$cache" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >&2)
    echo "$release" >"$release_file"
fi
release=$(cat "$release_file")
kdir=$cache/kernel-$release
if [ ! -f "$kdir/.unpacked" ]; then
    rm -rf "$kdir"
    for deb in "$cache"/linux-*"$release"*.deb; do
        log "unpacking $deb"
        dpkg-deb -x "$deb" "$kdir"
    done
    touch "$kdir/.unpacked"
fi
sd=$(find "$kdir/usr/lib/modules" -name 'scsi_debug.ko*' | head -n1)
case $sd in
    *.xz) xz -dc "$sd" ;;
    *.zst) zstd -dc "$sd" ;;
    *) cat "$sd" ;;
esac >"$cache/scsi_debug.check.ko"
symbols=$(nm "$cache/scsi_debug.check.ko")
if ! grep -q resp_write_tape <<<"$symbols"; then
    log "$release: scsi_debug has no tape emulation (resp_write_tape missing)"
    exit 1
fi
echo "$release"
