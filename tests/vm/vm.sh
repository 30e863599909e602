#!/usr/bin/env bash
# Real-device test harness: boots one of Debian's own kernels (5.10, 6.1, 6.12 or the newest in
# sid) in a throw-away QEMU (TCG) guest with the real vivid driver and runs one host command
# inside it, chrooted into the host's root (shared read-only over 9p). See tests/vm/README.md.
#
#   vm.sh setup [--kernel K ...]                  install packages, fetch kernels, build initramfs
#   vm.sh modules [--kernel K ...]                build vim2m, vicodec, visl, vimc out of tree
#   vm.sh run [--kernel K] [--vivid OPTS] [--modules "M ..."] [--timeout SECS] [--] CMD [ARGS...]
#                                                 (a module named "M?" is loaded only if K has it)
#
# K is 5.10, 6.1, 6.12 (the default, or $VM_KERNEL) or newest; setup and modules also take all.
# Exit codes of `run`: CMD's own exit code, or 125 when the harness itself failed (not set up,
# timeout, guest panic, vivid or a --modules module did not load, no exit code came back).
set -euo pipefail

CACHE=${VB2SCOPE_VM_CACHE:-$HOME/.cache/vb2scope-vm}
LABELS=(5.10 6.1 6.12 newest)
DEFAULT_LABEL=6.12
# The suites the private apt configuration names, oldest first (each also with -security, but
# sid). A kernel from a suite newer than the host's own has its modules built in a chroot.
SUITES=(bullseye bookworm trixie sid)
ARCHIVE=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# Instance 0: vmalloc, single-planar; 1: dma-contig, single-planar; 2: vmalloc, multi-planar.
DEFAULT_VIVID="n_devs=3 allocators=0,1,0 multiplanar=1,1,2"
DEFAULT_TIMEOUT=900
HOST_PKGS=(qemu-system-x86 busybox-static kmod cpio xz-utils zstd v4l-utils strace)
# For `modules` on the host (the compiler the headers want is added when it is not there).
BUILD_PKGS=(make dwarves libelf-dev bc)
# Loaded from the initramfs, in dependency order; everything else comes from the modules dir.
BOOT_MODS=(virtio_pci virtio_console 9pnet_virtio 9p overlay)
# Out-of-tree drivers: the file or directory under drivers/media/test-drivers of the source.
DRIVERS=(vim2m vicodec visl vimc)
GUEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'vm.sh: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 125
}

usage() {
    cat <<'EOF'
usage: vm.sh setup [--kernel K ...]
       vm.sh modules [--kernel K ...]
       vm.sh run [--kernel K] [--vivid "OPTS"] [--modules "M ..."] [--timeout SECS] [--] CMD [ARGS...]
K:     5.10 | 6.1 | 6.12 | newest (sid's newest); setup and modules also take "all".
       Default: $VM_KERNEL, else 6.12. --kernel may repeat, or list labels with commas.
env:   VB2SCOPE_VM_CACHE  cache dir (default ~/.cache/vb2scope-vm)
       VM_KERNEL          kernel label when --kernel is absent
       VM_KERNEL_PIN      setup/modules: PACKAGE[=VERSION] instead of the label's rule
       VM_OUT             host dir writable in the guest (default: $PWD/target)
       VM_PASS_ENV        space-separated names of host env vars passed to CMD
       VM_MEM, VM_SMP     guest memory (default 1G) and CPUs (default 2)
       VM_TCG_THREAD      single (default) or multi: TCG threads
       VM_VERBOSE=1       print the boot time
EOF
}

# Single-quotes a string for a POSIX shell (the guest's busybox init reads these).
sq() {
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "$s"
}

elapsed() { # T0
    awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f s", t1 - t0 }'
}

check_label() {
    case $1 in
    5.10 | 6.1 | 6.12 | newest) ;;
    *) die "unknown kernel '$1' (want one of: ${LABELS[*]})" ;;
    esac
}

# Parses "--kernel K" options (repeatable, comma lists, "all" when ALLOW_ALL=1) into KLIST;
# the remaining arguments go to REST.
KLIST=()
REST=()
parse_kernels() { # ALLOW_ALL ARGS...
    local allow_all=$1 k
    shift
    KLIST=() REST=()
    local raw=()
    while [ $# -gt 0 ]; do
        case $1 in
        --kernel)
            [ $# -ge 2 ] || die "--kernel needs a value"
            raw+=("$2")
            shift 2
            ;;
        --kernel=*) raw+=("${1#--kernel=}") && shift ;;
        *) REST+=("$1") && shift ;;
        esac
    done
    [ ${#raw[@]} -gt 0 ] || raw=("${VM_KERNEL:-$DEFAULT_LABEL}")
    for k in $(printf '%s\n' "${raw[@]}" | tr ',' ' '); do
        if [ "$k" = all ]; then
            [ "$allow_all" = 1 ] || die "--kernel all is for setup and modules"
            KLIST+=("${LABELS[@]}")
        else
            check_label "$k"
            KLIST+=("$k")
        fi
    done
    # Unique, in the order given.
    mapfile -t KLIST < <(printf '%s\n' "${KLIST[@]}" | awk 'NF && !seen[$0]++')
}

# ---------------------------------------------------------------------------------------------
# packages and the private apt configuration
# ---------------------------------------------------------------------------------------------

pkg_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

HOST_APT_UPDATED=0
install_host_packages() { # PKG...
    local missing=() p
    for p in "$@"; do
        pkg_installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root"
    log "installing ${missing[*]}"
    if [ "$HOST_APT_UPDATED" = 0 ]; then
        apt-get update -q >&2
        HOST_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

host_codename() {
    # shellcheck source=/dev/null
    (. /etc/os-release && echo "${VERSION_CODENAME:-}")
}

suite_rank() { # SUITE (with or without -security) -> index in SUITES, 99 when unknown
    local s=${1%-security} i
    for i in "${!SUITES[@]}"; do
        [ "${SUITES[$i]}" = "$s" ] && echo "$i" && return 0
    done
    echo 99
}

# All apt-get/apt-cache calls for kernels go through a sources list, lists and package cache of
# the harness's own (in the cache dir): the system's apt configuration is left alone.
APT_OPTS=()
PRIVATE_FRESH=0
private_apt() { # FORCE_UPDATE: lists younger than a day are reused unless 1
    local a=$CACHE/apt s src
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/sources.list.d"
    src=$(for s in "${SUITES[@]}"; do
        echo "deb [arch=amd64 signed-by=$KEYRING] $ARCHIVE $s main"
        [ "$s" = sid ] ||
            echo "deb [arch=amd64 signed-by=$KEYRING] ${ARCHIVE}-security $s-security main"
    done)
    [ "$(cat "$a/sources.list" 2>/dev/null || true)" = "$src" ] || printf '%s\n' "$src" >"$a/sources.list"
    APT_OPTS=(-o "Dir::Etc::SourceList=$a/sources.list" -o "Dir::Etc::SourceParts=$a/sources.list.d"
        -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o Acquire::Languages=none
        -o APT::Sandbox::User=root -o Dir::Cache::pkgcache=pkgcache.bin
        -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
        -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
        -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
        -o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false
        -o Acquire::IndexTargets::deb::CNF::DefaultEnabled=false)
    local sum
    sum=$(sha256sum <"$a/sources.list" | cut -c1-16)
    if [ "$1" = 1 ] || [ "$(cat "$a/updated" 2>/dev/null || true)" != "$sum" ] ||
        [ -n "$(find "$a/updated" -mmin +1440)" ]; then
        [ "$PRIVATE_FRESH" = 1 ] && return 0
        log "apt-get update through the harness's own sources list ($a/sources.list)"
        apt-get "${APT_OPTS[@]}" update -q >&2 || die "apt-get update failed (is deb.debian.org reachable?)"
        echo "$sum" >"$a/updated"
        PRIVATE_FRESH=1
    fi
}

apt_download() { # DIR PKG=VER...
    local dir=$1
    shift
    (cd "$dir" && apt-get "${APT_OPTS[@]}" -q download "$@" >&2)
}

apt_field() { # PKG VERSION FIELD
    apt-cache "${APT_OPTS[@]}" show "$1=$2" 2>/dev/null | sed -n "s/^$3: //p" | head -n1
}

# Names from a Depends line, without versions and alternatives after the first.
dep_names() {
    sed 's/,/\n/g' | sed 's/|.*//; s/^ *//; s/[ (].*//' | awk NF
}

# Resolves a label to "PACKAGE VERSION SUITE" (or nothing): among the linux-image-X.Y.*-amd64
# images (never cloud, rt, unsigned or dbg) the highest upstream version; on a tie the build
# for the host's own release (its compiler is on the host), then the highest Debian version.
# "newest" takes any version, from sid only. VM_KERNEL_PIN=PACKAGE[=VERSION] replaces the rule
# (to reproduce something on one exact build; the label's cache then holds that build).
resolve_label() { # LABEL
    local label=$1 re only='' host pinver=''
    host=$(host_codename)
    case $label in
    newest) re='^linux-image-[0-9][^ ]*-amd64$' only=sid ;;
    *) re="^linux-image-${label//./\\.}\\.[0-9][^ ]*-amd64\$" ;;
    esac
    local names=()
    if [ -n "${VM_KERNEL_PIN:-}" ]; then
        names=("${VM_KERNEL_PIN%%=*}") only=''
        case $VM_KERNEL_PIN in *=*) pinver=${VM_KERNEL_PIN#*=} ;; esac
    else
        mapfile -t names < <(apt-cache "${APT_OPTS[@]}" pkgnames linux-image- 2>/dev/null |
            grep -E "$re" | grep -Ev -- '-(cloud|rt)-amd64$' || true)
    fi
    [ ${#names[@]} -gt 0 ] || return 0
    apt-cache "${APT_OPTS[@]}" madison "${names[@]}" 2>/dev/null |
        awk -F'|' -v only="$only" -v host="$host" -v pinver="$pinver" '
        function trim(s) { gsub(/^ +| +$/, "", s); return s }
        {
            pkg = trim($1); ver = trim($2); split(trim($3), w, " "); suite = w[2]
            sub(/\/.*/, "", suite)
            base = suite; sub(/-security$/, "", base)
            if (only != "" && base != only) next
            if (pinver != "" && ver != pinver) next
            up = ver; sub(/^[0-9]+:/, "", up); sub(/-[^-]*$/, "", up)
            printf "%s\t%d\t%s\t%s\t%s\n", up, (base == host), ver, pkg, suite
        }' | sort -t "$(printf '\t')" -k1,1V -k2,2n -k3,3V | tail -n1 |
        awk -F'\t' '{ print $4, $3, $5 }'
}

# ---------------------------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------------------------

generate_init() {
    cat <<'EOF'
#!/bin/busybox sh
# vb2scope-vm guest init (generated by tests/vm/vm.sh): mounts the host root, loads vivid and
# the extra modules, and runs the run.sh that vm.sh wrote into the vmctl share, chrooted into
# the host root.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1

fail() {
    echo "vm-init: FAILED: $*"
    [ -d /ctl/. ] && echo "$*" >/ctl/harness-error
    sync
    poweroff -f
    sleep 30
}

while read -r m; do
    insmod "/lib/modules/boot/$m" || fail "insmod $m"
done </lib/modules/boot/order

P9="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /ctl /host /hostro
mount -t 9p -o "$P9,cache=mmap" vmctl /ctl || fail "mount vmctl"
# shellcheck source=/dev/null
. /ctl/conf
# Kernels before 5.16 emit printk:console trace events only for messages that reach a console.
if [ -n "${VM_PRINTK:-}" ]; then echo "$VM_PRINTK" >/proc/sys/kernel/printk; fi
mount -t 9p -o "$P9,ro,cache=loose" hostroot /host || fail "mount hostroot"
# /hostro: the host root without the guest's own mounts on top (for binds from masked paths).
mount --bind /host /hostro
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t tracefs tracefs /host/sys/kernel/tracing || fail "mount tracefs"
mount -t debugfs debugfs /host/sys/kernel/debug || true
mount -t devtmpfs devtmpfs /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /host/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm
ln -sf /proc/self/fd /host/dev/fd
ln -sf /proc/self/fd/0 /host/dev/stdin
ln -sf /proc/self/fd/1 /host/dev/stdout
ln -sf /proc/self/fd/2 /host/dev/stderr
mount -t tmpfs -o mode=1777 tmpfs /host/tmp
mount -t tmpfs -o mode=755 tmpfs /host/run
mount -t tmpfs -o mode=1777 tmpfs /host/var/tmp

# The guest kernel's modules at /lib/modules. A host without /lib/modules gets a tmpfs-backed
# overlay on /lib (i.e. /usr/lib) so that the mount point can exist.
if [ ! -d /host/lib/modules ]; then
    mkdir -p /ovl
    mount -t tmpfs tmpfs /ovl
    mkdir -p /ovl/upper /ovl/work
    mount -t overlay -o "lowerdir=/hostro/usr/lib,upperdir=/ovl/upper,workdir=/ovl/work" \
        overlay /host/usr/lib || fail "overlay on /usr/lib"
    mkdir -p /host/usr/lib/modules
fi
mount --bind "/hostro$VM_MODDIR" /host/lib/modules || fail "bind modules"

# A working directory under a tmpfs-masked path (/tmp, /run, /var/tmp) is bound back in.
case "$VM_CWD/" in
/tmp/* | /run/* | /var/tmp/*)
    mkdir -p "/host$VM_CWD"
    mount --bind "/hostro$VM_CWD" "/host$VM_CWD" || fail "bind $VM_CWD"
    ;;
esac
mkdir -p "/host$VM_OUT"
mount -t 9p -o "$P9,cache=mmap" vmout "/host$VM_OUT" || fail "mount vmout on $VM_OUT"
mkdir -p /host/run/vb2scope-vm
mount --bind /ctl /host/run/vb2scope-vm
hostname vb2scope-vm

if [ "$VM_VIVID_LOAD" = 1 ]; then
    # shellcheck disable=SC2086
    chroot /host /sbin/modprobe vivid $VM_VIVID || fail "modprobe vivid $VM_VIVID"
fi
for m in ${VM_MODULES:-}; do
    chroot /host /sbin/modprobe "$m" || fail "modprobe $m"
done

OUT='' ERR=''
for p in /sys/class/virtio-ports/*; do
    case "$(cat "$p/name")" in
    vb2scope.stdout) OUT=/dev/${p##*/} ;;
    vb2scope.stderr) ERR=/dev/${p##*/} ;;
    esac
done
if [ ! -c "$OUT" ] || [ ! -c "$ERR" ]; then fail "virtio ports not found"; fi

echo "vm-init: running command"
# In the background so that the redirections belong to the child alone: a shell that waits on a
# killed child reports it ("Killed") on its own stderr, which must not be the command's.
chroot /host /bin/bash /run/vb2scope-vm/run.sh <"/dev/null" >"$OUT" 2>"$ERR" &
wait $!
rc=$?
echo "vm-init: command exited with $rc"
echo "$rc" >/ctl/rc.tmp && mv /ctl/rc.tmp /ctl/rc
sync
umount "/host$VM_OUT" 2>/dev/null
umount /host/run/vb2scope-vm 2>/dev/null
umount /ctl 2>/dev/null
poweroff -f
sleep 30
EOF
}

build_initramfs() { # ROOT KREL OUT
    local root=$1 krel=$2 out=$3 stage m line f name
    stage=$(mktemp -d "$CACHE/initramfs.XXXXXX")
    mkdir -p "$stage"/{bin,dev,proc,sys,lib/modules/boot}
    cp /bin/busybox "$stage/bin/busybox"
    : >"$stage/lib/modules/boot/order"
    for m in "${BOOT_MODS[@]}"; do
        while read -r line; do
            case $line in
            insmod\ *) f=${line#insmod } f=${f%% *} ;;
            builtin\ *) continue ;;
            *) die "unexpected modprobe output for $m: $line" ;;
            esac
            name=$(basename "$f")
            name=${name%.xz} name=${name%.zst} name=${name%.gz}
            [ -e "$stage/lib/modules/boot/$name" ] && continue
            case $f in
            *.xz) xz -dc "$f" >"$stage/lib/modules/boot/$name" ;;
            *.zst) zstd -q -dc "$f" >"$stage/lib/modules/boot/$name" ;;
            *.gz) gzip -dc "$f" >"$stage/lib/modules/boot/$name" ;;
            *) cp "$f" "$stage/lib/modules/boot/$name" ;;
            esac
            echo "$name" >>"$stage/lib/modules/boot/order"
        done < <(modprobe -d "$root" -S "$krel" --show-depends "$m" ||
            die "modprobe --show-depends $m failed for $krel")
    done
    generate_init >"$stage/init"
    chmod 755 "$stage/init"
    (cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
        gzip -1 >"$out.tmp"
    mv "$out.tmp" "$out"
    rm -rf "$stage"
}

# Downloads the image package and, for split packages (7.x: linux-binary-, linux-modules-,
# linux-base-KREL), the packages of the same release it depends on, into DIR.
download_kernel() { # PKG VER KREL DIR
    local pkg=$1 ver=$2 krel=$3 dir=$4 d want=()
    want=("$pkg=$ver")
    for d in $(apt_field "$pkg" "$ver" Depends | dep_names); do
        case $d in
        linux-image-*) ;;
        linux-*-"$krel") want+=("$d=$ver") ;;
        esac
    done
    log "fetching ${want[*]}"
    apt_download "$dir" "${want[@]}"
}

unpack_kernel() { # DIR ROOT KREL
    local dir=$1 root=$2 krel=$3 deb
    rm -rf "$root"
    mkdir -p "$root"
    for deb in "$dir"/*.deb; do dpkg -x "$deb" "$root"; done
    # Debian 12 and older ship /lib/modules; later ones /usr/lib/modules (kmod's -b and -d want
    # ROOT/lib/modules).
    if [ ! -d "$root/lib/modules/$krel" ] && [ -d "$root/usr/lib/modules/$krel" ]; then
        mkdir -p "$root/lib"
        mv "$root/usr/lib/modules" "$root/lib/modules"
    fi
    [ -d "$root/lib/modules/$krel" ] || die "the packages have no lib/modules/$krel"
    vmlinuz_of "$root" "$krel" >/dev/null || die "the packages have no vmlinuz for $krel"
    depmod -b "$root" "$krel"
}

vmlinuz_of() { # ROOT KREL
    local f
    for f in "$1/boot/vmlinuz-$2" "$1/lib/modules/$2/vmlinuz"; do
        [ -f "$f" ] && echo "$f" && return 0
    done
    return 1
}

# Leftovers of the single-kernel layout (before kernels/LABEL/).
remove_legacy_layout() {
    if [ -e "$CACHE/current" ] || [ -d "$CACHE/kernel" ]; then
        log "removing the old single-kernel cache layout"
        rm -rf "$CACHE/current" "$CACHE/kernel" "$CACHE"/initrd-*.cpio.gz
    fi
}

setup_label() { # LABEL
    local label=$1 t0 dir cand pkg ver suite krel root tmp stamp want k
    t0=$(date +%s.%N)
    dir=$CACHE/kernels/$label
    mkdir -p "$dir/kernel"

    private_apt 0
    cand=$(resolve_label "$label")
    if [ -z "$cand" ] && [ "$PRIVATE_FRESH" = 0 ]; then
        private_apt 1
        cand=$(resolve_label "$label")
    fi
    [ -n "$cand" ] || die "no kernel image found for '$label' (is deb.debian.org reachable?)"
    read -r pkg ver suite <<<"$cand"
    krel=${pkg#linux-image-}
    root=$dir/kernel/$krel

    if [ ! -e "$root/.complete" ]; then
        tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
        if ! download_kernel "$pkg" "$ver" "$krel" "$tmp"; then
            # Stale lists name a version the archive no longer has: refresh and resolve again.
            [ "$PRIVATE_FRESH" = 0 ] || die "cannot download $pkg $ver"
            log "download failed (stale apt lists?); retrying with fresh lists"
            private_apt 1
            cand=$(resolve_label "$label")
            [ -n "$cand" ] || die "no kernel image found for '$label'"
            read -r pkg ver suite <<<"$cand"
            krel=${pkg#linux-image-}
            root=$dir/kernel/$krel
            rm -f "$tmp"/*.deb
            download_kernel "$pkg" "$ver" "$krel" "$tmp" || die "cannot download $pkg $ver"
        fi
        if [ ! -e "$root/.complete" ]; then
            unpack_kernel "$tmp" "$root" "$krel"
            printf '%s %s %s\n' "$pkg" "$ver" "$suite" >"$root/.complete"
        fi
        rm -rf "$tmp"
    fi

    # The initramfs is rebuilt whenever its inputs change (init script, module list, kernel).
    stamp=$({
        generate_init
        echo "${BOOT_MODS[*]} $krel"
        busybox 2>&1 | head -n1 || true
    } | sha256sum | cut -c1-16)
    want=$dir/initrd-$krel-$stamp.cpio.gz
    if [ ! -s "$want" ]; then
        log "building initramfs for $krel"
        build_initramfs "$root" "$krel" "$want"
    fi

    {
        echo "LABEL=$(sq "$label")"
        echo "KREL=$(sq "$krel")"
        echo "KVER=$(sq "$ver")"
        echo "KSUITE=$(sq "$suite")"
        echo "KPKG=$(sq "$pkg $ver")"
        echo "VMLINUZ=$(sq "$(vmlinuz_of "$root" "$krel")")"
        echo "INITRD=$(sq "$want")"
    } >"$dir/current.tmp"
    mv "$dir/current.tmp" "$dir/current"
    # Superseded releases of this label are of no further use (other labels are left alone).
    for k in "$dir"/kernel/* "$dir"/initrd-*.cpio.gz; do
        [ -e "$k" ] || continue
        [ "$k" = "$root" ] || [ "$k" = "$want" ] || rm -rf "$k"
    done
    for k in "$dir"/modules/*; do
        [ -e "$k" ] || continue
        [ "$k" = "$dir/modules/$krel" ] || rm -rf "$k"
    done
    log "ready: $label = kernel $krel ($pkg $ver from $suite), $(elapsed "$t0")"
}

lock_cache() {
    mkdir -p "$CACHE"
    CACHE=$(cd "$CACHE" && pwd -P)
    exec {LOCKFD}>"$CACHE/.lock"
    flock -n "$LOCKFD" || {
        log "waiting for another vm.sh setup/modules on $CACHE"
        flock "$LOCKFD"
    }
    # Left behind by an interrupted setup or modules.
    rm -rf "$CACHE"/dl.* "$CACHE"/initramfs.*
}

cmd_setup() {
    parse_kernels 1 "$@"
    [ ${#REST[@]} -eq 0 ] || die "setup: unexpected arguments: ${REST[*]}"
    [ -z "${VM_KERNEL_PIN:-}" ] || [ ${#KLIST[@]} -eq 1 ] || die "VM_KERNEL_PIN wants one --kernel"
    [ "$(dpkg --print-architecture)" = amd64 ] || die "only amd64 hosts are supported"
    install_host_packages "${HOST_PKGS[@]}"
    lock_cache
    remove_legacy_layout
    local label
    for label in "${KLIST[@]}"; do
        setup_label "$label"
    done
}

# ---------------------------------------------------------------------------------------------
# modules: vim2m, vicodec, visl, vimc (and v4l2-mem2mem, which Debian's videodev lacks) built
# out of tree against linux-headers-KREL and linux-source-X.Y of exactly the image's version.
# ---------------------------------------------------------------------------------------------

# The gcc major version the headers ask for (gcc-N, gcc-N-for-host, linux-compiler-gcc-N-*).
headers_gcc() { # KREL VER
    apt_field "linux-headers-$1" "$2" Depends | dep_names |
        sed -nE 's/^(linux-compiler-)?gcc-([0-9]+)(-for-host|-x86)?$/\2/p' | head -n1
}

# The host's default gcc-N (from the gcc package's Depends, in the system's apt lists).
host_default_gcc() {
    apt-cache show --no-all-versions gcc 2>/dev/null | sed -n 's/^Depends: //p' | head -n1 |
        dep_names | sed -nE 's/^gcc-([0-9]+)$/\1/p' | head -n1
}

host_has_gcc() { # N: installed, or installable from the system's apt lists
    command -v "gcc-$1" >/dev/null ||
        apt-cache policy "gcc-$1" 2>/dev/null | grep -Eq '^ *Candidate: [0-9]'
}

# Copies the drivers out of the source tree into one external-module directory each, with
# their Makefiles switched from obj-$(CONFIG_...) to obj-m.
prepare_driver_tree() { # SRC WORK
    local src=$1 work=$2 d f
    rm -rf "$work"
    mkdir -p "$work"
    if [ -f "$src/drivers/media/v4l2-core/v4l2-mem2mem.c" ]; then
        mkdir "$work/v4l2-mem2mem"
        cp "$src/drivers/media/v4l2-core/v4l2-mem2mem.c" "$work/v4l2-mem2mem/"
        echo 'obj-m += v4l2-mem2mem.o' >"$work/v4l2-mem2mem/Kbuild"
    fi
    for d in "${DRIVERS[@]}"; do
        f=$src/drivers/media/test-drivers/$d
        if [ -f "$f.c" ]; then
            mkdir "$work/$d"
            cp "$f.c" "$work/$d/"
            echo "obj-m += $d.o" >"$work/$d/Kbuild"
        elif [ -d "$f" ]; then
            cp -r "$f" "$work/$d"
            sed -i -E 's/obj-\$\(CONFIG_[A-Za-z0-9_]+\)/obj-m/' "$work/$d/Makefile"
            # shellcheck disable=SC2016 # make's $(src)
            printf '\nccflags-y += -I$(src)\n' >>"$work/$d/Makefile"
            # Trace headers name their directory relative to the kernel tree.
            for f in "$work/$d"/*.h; do
                if [ -f "$f" ] && grep -q '^#define TRACE_INCLUDE_PATH' "$f"; then
                    sed -i 's|^#define TRACE_INCLUDE_PATH .*|#define TRACE_INCLUDE_PATH .|' "$f"
                fi
            done
        fi
    done
}

# Runs a command on the host, or in the chroot CHROOT with WORK bind-mounted at the same path
# (in a private mount namespace: nothing stays mounted afterwards).
in_env() { # CHROOT|"" WORK CMD...
    local chroot=$1 work=$2
    shift 2
    if [ -z "$chroot" ]; then
        "$@"
        return
    fi
    mkdir -p "$chroot$work"
    # shellcheck disable=SC2016 # expands in the inner shell
    unshare --mount --propagation private -- sh -c '
        c=$1 w=$2; shift 2
        mount --bind "$w" "$c$w" && mount -t proc proc "$c/proc" && mount --rbind /dev "$c/dev" &&
            exec chroot "$c" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"
    ' sh "$chroot" "$work" "$@"
}

# A debootstrap chroot of SUITE with make, gcc-N and what the kbuild tools need, cached in
# $CACHE/chroot/SUITE (recreated when the package list changes).
ensure_chroot() { # SUITE GCC KBUILD_PKG KBUILD_VER
    local suite=$1 gcc=$2 dir=$CACHE/chroot/$1 inc t0
    inc=$({
        echo make
        echo "gcc-$gcc"
        apt_field "$3" "$4" Depends | dep_names
    } | sort -u | paste -sd, -)
    if [ -e "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$inc" ]; then
        return 0
    fi
    install_host_packages debootstrap
    t0=$(date +%s.%N)
    log "creating a $suite chroot with $inc in $dir (debootstrap, about a minute)"
    rm -rf "$dir"
    mkdir -p "$dir"
    debootstrap --variant=minbase --keyring="$KEYRING" --include="$inc" "$suite" "$dir" "$ARCHIVE" \
        >"$CACHE/chroot/debootstrap-$suite.log" 2>&1 ||
        die "debootstrap $suite failed; see $CACHE/chroot/debootstrap-$suite.log"
    rm -rf "$dir/var/cache/apt/archives/"*.deb
    echo "$inc" >"$dir/.complete"
    log "$suite chroot ready, $(elapsed "$t0")"
}

# Fetches and unpacks linux-headers-KREL (+ -common, linux-kbuild) into HDR and the driver
# sources of linux-source-X.Y into SRC, all at version VER.
fetch_build_inputs() { # KREL VER HDR SRC
    local krel=$1 ver=$2 hdr=$3 src=$4 tmp d want=() xy tarball
    tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
    want=("linux-headers-$krel=$ver")
    for d in $(apt_field "linux-headers-$krel" "$ver" Depends | dep_names); do
        case $d in
        linux-headers-*-common* | linux-kbuild-*) want+=("$d=$ver") ;;
        esac
    done
    xy=$(printf '%s\n' "$ver" | sed -E 's/^[0-9]+://; s/^([0-9]+\.[0-9]+).*/\1/')
    want+=("linux-source-$xy=$ver")
    log "fetching ${want[*]}"
    apt_download "$tmp" "${want[@]}" || {
        rm -rf "$tmp"
        return 1
    }
    rm -rf "$hdr" "$src"
    mkdir -p "$hdr" "$src"
    for d in "$tmp"/*.deb; do
        case ${d##*/} in
        linux-source-*)
            tarball=$(dpkg-deb --fsys-tarfile "$d" | tar -tf - | grep -E '/linux-source-[^/]*\.tar\.xz$' | head -n1)
            [ -n "$tarball" ] || die "no source tarball in ${d##*/}"
            dpkg-deb --fsys-tarfile "$d" | tar -xOf - "$tarball" |
                tar -xJf - -C "$src" --strip-components=1 --wildcards \
                    '*/drivers/media/test-drivers/*' '*/drivers/media/v4l2-core/v4l2-mem2mem.c'
            ;;
        *) dpkg -x "$d" "$hdr" ;;
        esac
    done
    rm -rf "$tmp"
    [ -d "$hdr/usr/src/linux-headers-$krel" ] || die "linux-headers-$krel unpacked to nothing"
    # The headers' Makefile names the -common one (and, on 7.x, KBUILD_OUTPUT) by its absolute
    # /usr/src path.
    sed -i -E "s#(^|[ =])/usr/src/#\1$hdr/usr/src/#g" "$hdr/usr/src/linux-headers-$krel/Makefile"
}

first_error() { # LOG: the first compiler or make error, else the last line
    grep -m1 -E 'error:|Error [0-9]|\*\*\*' "$1" || tail -n1 "$1"
}

# Builds v4l2-mem2mem (unless the kernel has it) and then each driver on its own, so that one
# failing driver does not stop the others. Writes OUT/*.ko and OUT/report.
build_drivers() { # KREL HDR SRC WORK OUT CHROOT CC
    local krel=$1 hdr=$2 src=$3 work=$4 out=$5 chroot=$6 cc=$7 kdir d extra=() err bind
    kdir=$hdr/usr/src/linux-headers-$krel
    bind=${work%/*} # headers, sources and build tree all live there
    prepare_driver_tree "$src" "$work"
    rm -rf "$out"
    mkdir -p "$out"
    : >"$out/report"
    if grep -qE '^CONFIG_V4L2_MEM2MEM_DEV=[ym]' "$kdir/.config"; then
        echo "v4l2-mem2mem: in the kernel already" >>"$out/report"
    elif [ ! -d "$work/v4l2-mem2mem" ]; then
        echo "v4l2-mem2mem: not in the source" >>"$out/report"
    elif in_env "$chroot" "$bind" make -C "$kdir" M="$work/v4l2-mem2mem" CC="$cc" -j"$(nproc)" \
        modules >"$work/v4l2-mem2mem.log" 2>&1; then
        cp "$work/v4l2-mem2mem/v4l2-mem2mem.ko" "$out/"
        extra=(KBUILD_EXTRA_SYMBOLS="$work/v4l2-mem2mem/Module.symvers")
        echo "v4l2-mem2mem: built" >>"$out/report"
    else
        err=$(first_error "$work/v4l2-mem2mem.log")
        echo "v4l2-mem2mem: FAILED: $err" >>"$out/report"
    fi
    for d in "${DRIVERS[@]}"; do
        if [ ! -d "$work/$d" ]; then
            echo "$d: not in the source of this kernel" >>"$out/report"
            continue
        fi
        if in_env "$chroot" "$bind" make -C "$kdir" M="$work/$d" CC="$cc" -j"$(nproc)" "${extra[@]}" \
            modules >"$work/$d.log" 2>&1; then
            cp "$work/$d/$d.ko" "$out/"
            echo "$d: built" >>"$out/report"
        else
            err=$(first_error "$work/$d.log")
            echo "$d: FAILED: $err (log: $work/$d.log)" >>"$out/report"
        fi
    done
}

modules_label() { # LABEL
    local label=$1 dir t0 LABEL KREL KVER KSUITE KPKG VMLINUZ INITRD
    t0=$(date +%s.%N)
    dir=$CACHE/kernels/$label
    # shellcheck disable=SC1091
    . "$dir/current"
    local root=$dir/kernel/$KREL mdir=$dir/modules/$KREL gcc chroot='' cc env_desc stamp
    gcc=$(headers_gcc "$KREL" "$KVER")
    [ -n "$gcc" ] || die "linux-headers-$KREL $KVER not found in the apt lists"
    if [ "$(suite_rank "$KSUITE")" -le "$(suite_rank "$(host_codename)")" ]; then
        # Built on this release or an older one: the host's tools run the kbuild binaries.
        if ! host_has_gcc "$gcc"; then
            local g
            g=$(host_default_gcc)
            [ -n "$g" ] || die "the headers want gcc-$gcc and the host has no default gcc"
            log "$KREL: the headers want gcc-$gcc, which the host lacks: using gcc-$g"
            gcc=$g
        fi
        cc=gcc-$gcc
        install_host_packages "${BUILD_PKGS[@]}" "$cc"
        env_desc="host $(dpkg-query -W -f='${Version}' "$cc")"
    else
        # Built on a newer release: its kbuild binaries need that release's libc.
        chroot=$CACHE/chroot/${KSUITE%-security}
        cc=gcc-$gcc
        local kb
        kb=$(apt_field "linux-headers-$KREL" "$KVER" Depends | dep_names |
            sed -nE '/^linux-headers-.*-common/d; /^linux-kbuild-/p' | head -n1)
        [ -n "$kb" ] || kb=$(apt_field "linux-headers-${KREL%-amd64}-common" "$KVER" Depends |
            dep_names | grep -m1 '^linux-kbuild-' || true)
        ensure_chroot "${KSUITE%-security}" "$gcc" "$kb" "$KVER"
        # shellcheck disable=SC2016 # a dpkg-query format
        env_desc="${KSUITE%-security} chroot $(chroot "$chroot" dpkg-query -W -f='${Version}' "$cc")"
    fi
    stamp=$({
        echo "$KREL $KVER $env_desc ${DRIVERS[*]}"
        declare -f prepare_driver_tree build_drivers fetch_build_inputs in_env first_error
    } | sha256sum | cut -c1-16)

    if [ "$(cat "$mdir/out/stamp" 2>/dev/null || true)" != "$stamp" ]; then
        mkdir -p "$mdir"
        local istamp
        istamp=$({
            echo "$KVER"
            declare -f fetch_build_inputs
        } | sha256sum | cut -c1-16)
        if [ "$(cat "$mdir/inputs.complete" 2>/dev/null || true)" != "$istamp" ]; then
            fetch_build_inputs "$KREL" "$KVER" "$mdir/headers" "$mdir/src" ||
                die "cannot download the headers and source of $KREL $KVER"
            echo "$istamp" >"$mdir/inputs.complete"
        fi
        log "$label: building ${DRIVERS[*]} for $KREL with $cc ($env_desc)"
        local tb
        tb=$(date +%s.%N)
        build_drivers "$KREL" "$mdir/headers" "$mdir/src" "$mdir/build" "$mdir/out" "$chroot" "$cc"
        echo "build: $(elapsed "$tb") with $cc ($env_desc)" >>"$mdir/out/report"
        echo "$stamp" >"$mdir/out/stamp"
    else
        log "$label: modules for $KREL are up to date"
    fi

    # Installed as updates/ of the kernel tree the guest binds over /lib/modules.
    local upd=$root/lib/modules/$KREL/updates/vb2scope
    if [ "$(cat "$upd/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
        rm -rf "$upd"
        mkdir -p "$upd"
        cp "$mdir/out/"*.ko "$upd/" 2>/dev/null || true
        depmod -b "$root" "$KREL"
        echo "$stamp" >"$upd/.stamp"
    fi
    sed "s/^/vm.sh: $label ($KREL): /" "$mdir/out/report" >&2
    log "$label: modules ready in $upd, $(elapsed "$t0")"
}

cmd_modules() {
    parse_kernels 1 "$@"
    [ ${#REST[@]} -eq 0 ] || die "modules: unexpected arguments: ${REST[*]}"
    [ -z "${VM_KERNEL_PIN:-}" ] || [ ${#KLIST[@]} -eq 1 ] || die "VM_KERNEL_PIN wants one --kernel"
    [ "$(id -u)" -eq 0 ] || die "modules needs root (packages, chroot)"
    install_host_packages "${HOST_PKGS[@]}"
    lock_cache
    remove_legacy_layout
    local label
    for label in "${KLIST[@]}"; do
        setup_label "$label"
        modules_label "$label"
    done
}

# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------

print_failure() { # REASON
    log "$1"
    if [ -s "$CONSOLE_LOG" ]; then
        log "--- last lines of $CONSOLE_LOG ---"
        tail -n 40 "$CONSOLE_LOG" >&2
    fi
    if [ -s "$QEMU_LOG" ]; then
        log "--- qemu: $QEMU_LOG ---"
        tail -n 20 "$QEMU_LOG" >&2
    fi
}

cmd_run() {
    local vivid=$DEFAULT_VIVID timeout=$DEFAULT_TIMEOUT label=${VM_KERNEL:-$DEFAULT_LABEL}
    local modules=''
    while [ $# -gt 0 ]; do
        case $1 in
        --kernel)
            [ $# -ge 2 ] || die "--kernel needs a value"
            label=$2
            shift 2
            ;;
        --kernel=*) label=${1#--kernel=} && shift ;;
        --vivid)
            [ $# -ge 2 ] || die "--vivid needs a value"
            vivid=$2
            shift 2
            ;;
        --vivid=*) vivid=${1#--vivid=} && shift ;;
        --modules)
            [ $# -ge 2 ] || die "--modules needs a value"
            modules+=" $2"
            shift 2
            ;;
        --modules=*) modules+=" ${1#--modules=}" && shift ;;
        --timeout)
            [ $# -ge 2 ] || die "--timeout needs a value"
            timeout=$2
            shift 2
            ;;
        --timeout=*) timeout=${1#--timeout=} && shift ;;
        --)
            shift
            break
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*) die "unknown option $1" ;;
        *) break ;;
        esac
    done
    [ $# -gt 0 ] || die "no command given (vm.sh run [opts] -- CMD ARGS...)"
    [[ $timeout =~ ^[0-9]+$ ]] || die "--timeout wants whole seconds"
    check_label "$label"
    local vivid_load=1
    [ "$vivid" != none ] || vivid="" vivid_load=0
    modules=$(printf '%s\n' "$modules" | tr ',' ' ' | xargs)

    [ -d "$CACHE" ] || die "not set up: run 'bash tests/vm/vm.sh setup --kernel $label' first"
    CACHE=$(cd "$CACHE" && pwd -P)
    local dir=$CACHE/kernels/$label
    [ -r "$dir/current" ] || die "kernel $label is not set up: run 'bash tests/vm/vm.sh setup --kernel $label' first"
    # shellcheck disable=SC2034 # set by the sourced file
    local LABEL KREL KVER KSUITE KPKG VMLINUZ INITRD
    # shellcheck disable=SC1091
    . "$dir/current"
    local root=$dir/kernel/$KREL
    if [ ! -f "$root/.complete" ] || [ ! -s "$INITRD" ] || [ ! -f "$VMLINUZ" ]; then
        die "cache incomplete: run 'vm.sh setup --kernel $label' again"
    fi
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run 'vm.sh setup'"
    # A name ending in "?" is optional: left out (and said so) when this kernel has no such
    # module, e.g. visl before 6.2.
    local m wanted
    read -ra wanted <<<"$modules" # not `for m in $modules`: "m?" would be a glob
    modules=''
    for m in "${wanted[@]}"; do
        local optional=0
        [[ $m != *\? ]] || optional=1 m=${m%\?}
        [[ $m =~ ^[A-Za-z0-9_-]+$ ]] || die "--modules: bad module name '$m'"
        if modprobe -d "$root" -S "$KREL" --show-depends "$m" >/dev/null 2>&1; then
            modules+="${modules:+ }$m"
        elif [ "$optional" = 1 ]; then
            log "module $m is not available for $KREL: not loaded"
        else
            die "module $m is not available for $KREL: run 'bash tests/vm/vm.sh modules --kernel $label'"
        fi
    done

    local cwd out
    cwd=$(pwd -P)
    out=${VM_OUT:-$cwd/target}
    mkdir -p "$out"
    out=$(cd "$out" && pwd -P)
    case $out in /) die "VM_OUT must not be /" ;; esac

    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb2scope-vm.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    mkdir "$tmp/share"
    mkfifo "$tmp/out" "$tmp/err"
    mkdir -p "$CACHE/logs"
    local stamp
    stamp=$(date +%Y%m%d-%H%M%S)-$label-$$
    CONSOLE_LOG=$CACHE/logs/console-$stamp.log
    QEMU_LOG=$CACHE/logs/qemu-$stamp.log
    ln -sfn "logs/console-$stamp.log" "$CACHE/console.log"
    # Keep the logs of the last 20 runs.
    find "$CACHE/logs" -maxdepth 1 -name 'console-*.log' -printf '%T@ %p\n' | sort -rn |
        tail -n +21 | cut -d' ' -f2- | while read -r f; do
        rm -f "$f" "${f/console-/qemu-}"
    done

    local printk=''
    case $KREL in [1-4].* | 5.[0-9].* | 5.1[0-5].*) printk=8 ;; esac
    {
        echo "VM_CWD=$(sq "$cwd")"
        echo "VM_OUT=$(sq "$out")"
        echo "VM_MODDIR=$(sq "$root/lib/modules")"
        echo "VM_VIVID=$(sq "$vivid")"
        echo "VM_VIVID_LOAD=$vivid_load"
        echo "VM_MODULES=$(sq "$modules")"
        echo "VM_PRINTK=$printk"
    } >"$tmp/share/conf"

    {
        echo '#!/bin/bash'
        # shellcheck disable=SC2016 # expands in the guest
        echo 'for v in $(compgen -e); do unset -v "$v" 2>/dev/null; done'
        printf 'export PATH=%q HOME=/root USER=root LOGNAME=root VB2SCOPE_IN_VM=1\n' "$GUEST_PATH"
        printf 'export VB2SCOPE_VM_KERNEL=%q VB2SCOPE_VM_LABEL=%q VB2SCOPE_VM_VIVID=%q VB2SCOPE_VM_OUT=%q\n' \
            "$KREL" "$label" "$vivid" "$out"
        printf 'export VB2SCOPE_VM_MODULES=%q\n' "$modules"
        local name
        for name in ${VM_PASS_ENV:-}; do
            [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "VM_PASS_ENV: bad name '$name'"
            if [ -n "${!name+set}" ]; then
                printf 'export %s=%q\n' "$name" "${!name}"
            fi
        done
        printf 'cd -- %q || exit 125\n' "$cwd"
        printf 'exec --'
        printf ' %q' "$@"
        printf '\n'
    } >"$tmp/share/run.sh"

    local cat_out cat_err qpid qrc=0 rc
    cat <"$tmp/out" &
    cat_out=$!
    cat <"$tmp/err" >&2 &
    cat_err=$!

    local append="console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off no_timer_check"
    append+=" tsc=reliable i8042.noaux i8042.nokbd i8042.nopnp 8250.nr_uarts=1"
    local P9=security_model=none,multidevs=remap
    local t0
    t0=$(date +%s.%N)
    # One TCG thread for all vCPUs: with one per vCPU, a vCPU can still run a stale translated
    # block holding the int3 the kernel's text_poke_bp() put in (static keys flip when tracefs
    # events are enabled) after the patch is done, and the guest oopses ("Oops: int3").
    timeout -k 10 "$timeout" qemu-system-x86_64 \
        -nodefaults -no-user-config -no-reboot -machine pc \
        -accel "tcg,thread=${VM_TCG_THREAD:-single},tb-size=256" -cpu max -smp "${VM_SMP:-2}" -m "${VM_MEM:-1G}" \
        -kernel "$VMLINUZ" -initrd "$INITRD" -append "$append" \
        -display none -monitor none -serial "file:${CONSOLE_LOG//,/,,}" \
        -virtfs "local,path=/,mount_tag=hostroot,$P9,readonly=on" \
        -virtfs "local,path=${tmp//,/,,}/share,mount_tag=vmctl,$P9" \
        -virtfs "local,path=${out//,/,,},mount_tag=vmout,$P9" \
        -device virtio-serial-pci \
        -chardev "file,id=vmout,path=${tmp//,/,,}/out" \
        -device virtserialport,chardev=vmout,name=vb2scope.stdout \
        -chardev "file,id=vmerr,path=${tmp//,/,,}/err" \
        -device virtserialport,chardev=vmerr,name=vb2scope.stderr \
        </dev/null >"$QEMU_LOG" 2>&1 &
    qpid=$!
    INTERRUPTED=0
    trap 'INTERRUPTED=1; kill -TERM "$qpid" 2>/dev/null || true' INT TERM HUP
    wait "$qpid" || qrc=$?
    # A signal that interrupted wait: wait again for QEMU itself.
    while kill -0 "$qpid" 2>/dev/null; do wait "$qpid" || qrc=$?; done
    trap - INT TERM HUP
    # Unblock a reader whose FIFO QEMU never opened (early failure), then drain both.
    local fd
    exec {fd}<>"$tmp/out"
    exec {fd}>&-
    exec {fd}<>"$tmp/err"
    exec {fd}>&-
    wait "$cat_out" "$cat_err" || true
    local secs
    secs=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }')
    echo "vm.sh: qemu exited with $qrc after $secs s" >>"$CONSOLE_LOG"

    if [ -s "$tmp/share/harness-error" ]; then
        print_failure "guest setup failed ($label, $KREL): $(cat "$tmp/share/harness-error")"
        exit 125
    fi
    if [ "$INTERRUPTED" = 1 ]; then
        print_failure "interrupted"
        exit 125
    fi
    if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
        print_failure "timed out after $timeout s"
        exit 125
    fi
    if [ ! -s "$tmp/share/rc" ]; then
        if grep -q 'Kernel panic' "$CONSOLE_LOG"; then
            print_failure "the guest kernel panicked"
        else
            print_failure "no exit code came back from the guest (qemu exit $qrc)"
        fi
        exit 125
    fi
    rc=$(cat "$tmp/share/rc")
    [[ $rc =~ ^[0-9]+$ ]] || die "bad exit code '$rc' from the guest"
    # A command the guest's OOM killer ended says so, rather than a bare 137.
    grep -h 'Out of memory: Killed process' "$CONSOLE_LOG" 2>/dev/null | sed 's/^/vm.sh: guest: /' >&2 || true
    [ -z "${VM_VERBOSE:-}" ] || log "$label: $KPKG: guest run took $secs s, exit $rc"
    exit "$rc"
}

CONSOLE_LOG=
QEMU_LOG=
INTERRUPTED=0
LOCKFD=
tmp=
case ${1:-} in
setup)
    shift
    cmd_setup "$@"
    ;;
modules)
    shift
    cmd_modules "$@"
    ;;
run)
    shift
    cmd_run "$@"
    ;;
-h | --help | help) usage ;;
*)
    usage >&2
    exit 2
    ;;
esac
