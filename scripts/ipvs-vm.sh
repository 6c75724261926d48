#!/usr/bin/env bash
# Copied from the project's shared QEMU recipe (recipes/ipvs-vm/run-in-vm.sh, written for vigil's
# IPVS proof) so that CI on a clean clone has it. Apt packages it needs: qemu-system-x86
# linux-image-amd64 busybox-static cpio kmod xz-utils ipvsadm (installed by --install).
# run-in-vm.sh - run one command inside a throw-away QEMU guest that boots
# Debian's stock kernel (linux-image-amd64, 6.1, which has IPVS as modules)
# on top of THIS machine's own root filesystem, shared read-only over
# virtio-9p with a tmpfs overlay (the guest can write anywhere, writes are
# discarded at power-off). The command's stdout/stderr stream to ours and
# its exit status becomes ours. The approach is virtme/virtme-ng's, done by
# hand with a ~1.5 MB busybox initramfs (virtme-ng isn't packaged in
# bookworm and PyPI isn't reachable here).
#
#   run-in-vm.sh [options] [--] COMMAND [ARG...]
#
# Options:
#   --mem SIZE        guest memory (default 1G)
#   --cpus N          vCPUs (default: host cores)
#   --timeout SECS    kill the VM after SECS (default 600); exit status 124
#   --rw DIR          share host DIR read-write at the same path (repeatable);
#                     everything else the guest writes is thrown away
#   -e NAME=VALUE     set an environment variable for COMMAND (repeatable)
#   --accel kvm|tcg   force an accelerator (default: auto, see below)
#   --kernel KVER     kernel version (default: newest with ip_vs.ko + vmlinuz)
#   --verbose         show kernel boot messages and the qemu command line
#   --install         apt-get install the prerequisites first
#
# Environment: IPVS_VM_CACHE (initramfs/vmlinux cache, default
# ~/.cache/ipvs-vm), IPVS_VM_PVH=0 (boot the bzImage instead of the
# extracted vmlinux), IPVS_VM_MACHINE (default q35), IPVS_VM_QEMU_ARGS
# (extra qemu arguments, for experiments).
#
# Exit status: COMMAND's, or 124 (timeout), or 125 (VM infrastructure failed).
#
# Accelerator auto-detection: KVM only if /dev/kvm is usable AND backed by
# real hardware virtualisation (kvm_intel / kvm_amd). On hosts whose
# /dev/kvm is the PVM nested hypervisor (module kvm_pvm, as on our CI
# machines) a stock kernel boots ~50x slower than TCG and then dies with
# "KVM internal error ... emulation failure", so TCG is used there.
set -euo pipefail

MEM=1G
CPUS=$(nproc)
TIMEOUT=600
KVER=
ACCEL=auto
VERBOSE=0
INSTALL=0
RW_DIRS=()
ENVS=()
CACHE_DIR=${IPVS_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipvs-vm}

die() { echo "run-in-vm: $*" >&2; exit 125; }

while [ $# -gt 0 ]; do
  case $1 in
    --mem) MEM=$2; shift 2 ;;
    --cpus) CPUS=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --rw) d=$(realpath -e "$2") && [ -d "$d" ] || die "--rw $2: no such directory"
          RW_DIRS+=("$d"); shift 2 ;;
    -e) ENVS+=("$2"); shift 2 ;;
    --accel) ACCEL=$2; shift 2 ;;
    --kernel) KVER=$2; shift 2 ;;
    --verbose) VERBOSE=1; shift ;;
    --install) INSTALL=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || die "no command given (try --help)"

if [ "$INSTALL" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    qemu-system-x86 linux-image-amd64 busybox-static cpio kmod xz-utils ipvsadm >/dev/null
fi

for t in qemu-system-x86_64 cpio modprobe; do
  command -v $t >/dev/null || die "$t not found (run with --install)"
done
BUSYBOX=/bin/busybox
bbinfo=$(file -L "$BUSYBOX" 2>/dev/null; ldd "$BUSYBOX" 2>&1) || true
grep -qE 'statically linked|static-pie linked|not a dynamic' <<<"$bbinfo" ||
  die "$BUSYBOX is not the static busybox (apt-get install busybox-static)"

# ---- kernel -----------------------------------------------------------------
if [ -z "$KVER" ]; then
  for d in $(ls -1d /lib/modules/*/ 2>/dev/null | sort -rV); do
    k=$(basename "$d")
    if [ -f "/boot/vmlinuz-$k" ] && ls "$d"kernel/net/netfilter/ipvs/ip_vs.ko* >/dev/null 2>&1; then
      KVER=$k; break
    fi
  done
fi
[ -n "$KVER" ] && [ -f "/boot/vmlinuz-$KVER" ] ||
  die "no kernel with ip_vs modules found (apt-get install linux-image-amd64)"
[ -r "/boot/vmlinuz-$KVER" ] || die "/boot/vmlinuz-$KVER not readable"

# ---- accelerator ------------------------------------------------------------
if [ "$ACCEL" = auto ]; then
  ACCEL=tcg
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] &&
     { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
    ACCEL=kvm
  fi
fi
case $ACCEL in
  kvm) ACCEL_ARGS=(-accel kvm -cpu host) ;;
  tcg) ACCEL_ARGS=(-accel tcg,thread=multi -cpu max) ;;
  *) die "--accel must be kvm or tcg" ;;
esac

# ---- initramfs (cached per kernel + recipe) ---------------------------------
# /init: load virtio/9p/overlay modules, mount the host root (9p, ro) under a
# tmpfs overlay, add /proc /sys /dev /run, switch_root into it, run the job,
# write its exit status to the job share, power off.
read -r -d '' INIT <<'INIT_EOF' || true
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /lower /rw /newroot /job
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
stty -onlcr </dev/console 2>/dev/null  # plain \n on the serial console
while read -r m; do insmod "/mod/$m" || echo "ipvs-vm: insmod $m failed"; done </modules.list
fail() { echo "ipvs-vm: $*"; echo 125 >/job/rc 2>/dev/null; sync; poweroff -f; }
O9=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$O9,cache=none" job /job || fail "cannot mount job share"
mount -t 9p -o "$O9,ro,cache=loose" hostroot /lower || fail "cannot mount host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
  fail "cannot mount overlay"
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mkdir -p /newroot/run/lock /newroot/run/ipvs-vm
mount --bind /job /newroot/run/ipvs-vm
i=0
if [ -f /job/rw.list ]; then
  while read -r p; do
    mkdir -p "/newroot$p"
    mount -t 9p -o "$O9,cache=mmap" "rw$i" "/newroot$p" || fail "cannot mount rw share $p"
    i=$((i+1))
  done </job/rw.list
fi
ip link set lo up
hostname ipvs-vm
# switch_root (not chroot) so that kernel usermode helpers such as
# request_module() -> /sbin/modprobe (ipvsadm -s rr loads ip_vs_rr that way)
# see the host's filesystem. PID 1 continues as the script below.
cp /bin/busybox /newroot/run/busybox
cat >/newroot/run/stage2 <<'STAGE2'
echo "@@ipvs-vm: boot done $(/run/busybox cut -d' ' -f1 /proc/uptime)s after kernel start" >/run/ipvs-vm/boot
/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root TERM=dumb LANG=C.UTF-8 IPVS_VM=1 \
  /bin/bash /run/ipvs-vm/cmd.sh </dev/null >/dev/console 2>&1
echo $? >/run/ipvs-vm/rc
/run/busybox sync
echo 0 >/proc/sys/kernel/printk  # hide the "reboot: Power down" line
/run/busybox poweroff -f
STAGE2
exec switch_root /newroot /run/busybox sh /run/stage2
INIT_EOF

mods=$(for m in virtio_pci 9pnet_virtio 9p overlay; do
         modprobe -S "$KVER" --show-depends "$m"
       done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
[ -n "$mods" ] || die "modprobe --show-depends found no modules for $KVER"
key=$( { echo "$INIT"; echo "$mods"; sha256sum "$BUSYBOX"; } | sha256sum | cut -c1-16)
INITRD=$CACHE_DIR/initramfs-$KVER-$key.cpio.gz
if [ ! -s "$INITRD" ]; then
  mkdir -p "$CACHE_DIR"
  stage=$(mktemp -d "$CACHE_DIR/stage.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/bin" "$stage/mod"
  cp "$BUSYBOX" "$stage/bin/busybox"
  printf '%s\n' "$INIT" >"$stage/init"
  chmod 755 "$stage/init"
  for f in $mods; do
    b=$(basename "$f"); b=${b%.xz}; b=${b%.zst}; b=${b%.gz}
    case $f in
      *.xz) xz -dc "$f" >"$stage/mod/$b" ;;
      *.zst) zstd -qdc "$f" >"$stage/mod/$b" ;;
      *.gz) gzip -dc "$f" >"$stage/mod/$b" ;;
      *) cp "$f" "$stage/mod/$b" ;;
    esac
    echo "$b" >>"$stage/modules.list"
  done
  (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.tmp.$$"
  mv "$INITRD.tmp.$$" "$INITRD"
  rm -rf "$stage"; trap - EXIT
fi

# ---- uncompressed kernel for PVH boot (cached) --------------------------------
# Under TCG the in-guest XZ decompression of the bzImage alone costs ~2-3 s.
# qemu boots an ELF vmlinux directly through its PVH entry point (Debian
# builds with CONFIG_PVH=y), so extract it once, like scripts/extract-vmlinux.
KERNEL=/boot/vmlinuz-$KVER
VMLINUX=$CACHE_DIR/vmlinux-$KVER
if [ "${IPVS_VM_PVH:-1}" = 1 ]; then
  if [ ! -s "$VMLINUX" ] || [ "$VMLINUX" -ot "$KERNEL" ]; then
    mkdir -p "$CACHE_DIR"
    tmp=$VMLINUX.tmp.$$
    for fmt in '\xfd7zXZ\x00:xz -dcq' '\x28\xb5\x2f\xfd:zstd -dcq' '\x1f\x8b\x08:gzip -dcq'; do
      magic=${fmt%%:*}; cmd=${fmt#*:}
      command -v "${cmd%% *}" >/dev/null || continue
      for pos in $(LC_ALL=C grep -obUaP "$magic" "$KERNEL" 2>/dev/null | cut -d: -f1 | head -3); do
        tail -c +$((pos + 1)) "$KERNEL" | $cmd >"$tmp" 2>/dev/null || true
        if [ "$(head -c 4 "$tmp" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
          mv "$tmp" "$VMLINUX"; break 2
        fi
      done
    done
    rm -f "$tmp"
  fi
  [ -s "$VMLINUX" ] && KERNEL=$VMLINUX
fi

# ---- job directory (shared read-write as tag "job") --------------------------
JOB=$(mktemp -d "${TMPDIR:-/tmp}/ipvs-vm-job.XXXXXX")
QPID=
cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then kill "$QPID" 2>/dev/null || true; fi
  rm -rf "$JOB"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
{
  printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
  for e in "${ENVS[@]}"; do printf 'export %q\n' "$e"; done
  printf 'exec'; printf ' %q' "$@"; printf '\n'
} >"$JOB/cmd.sh"
RW_ARGS=()
i=0
for d in "${RW_DIRS[@]}"; do
  echo "$d" >>"$JOB/rw.list"
  RW_ARGS+=(-virtfs "local,path=$d,mount_tag=rw$i,security_model=none,multidevs=remap")
  i=$((i + 1))
done

APPEND="console=ttyS0 panic=-1 rdinit=/init mitigations=off i8042.noaux i8042.nomux i8042.nopnp"
if [ "$VERBOSE" = 1 ]; then APPEND+=" loglevel=7"; else APPEND+=" quiet loglevel=1"; fi

QEMU=(qemu-system-x86_64 -name ipvs-vm -nodefaults -no-user-config -no-reboot
  -M "${IPVS_VM_MACHINE:-q35}" "${ACCEL_ARGS[@]}" -smp "$CPUS" -m "$MEM"
  -display none -vga none -monitor none -serial stdio -nic none
  -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$JOB,mount_tag=job,security_model=none,multidevs=remap"
  "${RW_ARGS[@]}")
# shellcheck disable=SC2206  # experiments only, e.g. IPVS_VM_QEMU_ARGS="-bios /usr/share/qemu/qboot.rom"
QEMU+=(${IPVS_VM_QEMU_ARGS:-})
[ "$VERBOSE" = 1 ] && { echo "run-in-vm: accel=$ACCEL kernel=$KERNEL initrd=$INITRD" >&2; printf '%q ' "${QEMU[@]}" >&2; echo >&2; }

# qemu runs in the background under timeout(1) so that a timeout or ^C ends
# exactly the processes this script started (by PID).
timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null &
QPID=$!
set +e
wait "$QPID"; qrc=$?
set -e
QPID=

[ "$VERBOSE" = 1 ] && [ -f "$JOB/boot" ] && cat "$JOB/boot" >&2
if [ -s "$JOB/rc" ]; then
  exit "$(cat "$JOB/rc")"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "run-in-vm: timed out after ${TIMEOUT}s" >&2; exit 124
fi
echo "run-in-vm: VM stopped without an exit status (qemu exit $qrc)" >&2
exit 125
