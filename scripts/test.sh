#!/usr/bin/env bash
# The README's test command: sets up what a fresh Debian 12 machine lacks, then runs every check.
# As root it installs the Debian packages the system tests use (network namespaces, nftables,
# keepalived as an interop peer, QEMU for the IPVS kernel tests); without root those tests skip
# and say why.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3, make and g++ build the native addon from source (the test of the fallback for machines
# no prebuilt binary fits; npm ci itself uses prebuilds/); openssl makes test
# certificates; QEMU, Debian's kernel (which has IPVS), busybox, cpio, kmod and xz boot the IPVS test
# VM (scripts/ipvs-vm.sh), where ipvsadm and curl are the reference tools; systemd has systemd-analyze,
# which checks the units in packaging/; conntrackd (and the conntrack tool that reads the kernel
# table) replicate the nft engine's NAT connections for conntrack_sync; chromium (and a small CJK
# font for its Chinese labels) runs the dashboard's browser test.
APT_PACKAGES=(iproute2 nftables keepalived tcpdump procps psmisc python3 make g++ openssl
  qemu-system-x86 linux-image-amd64 busybox-static cpio kmod xz-utils ipvsadm curl systemd
  conntrackd conntrack chromium fonts-wqy-microhei)

missing=()
if [ "$(id -u)" = 0 ] && command -v dpkg-query >/dev/null; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # keepalived's and conntrackd's packages start services on install; the tests start their own.
  for unit in keepalived conntrackd; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$unit" 2>/dev/null; then
      systemctl stop "$unit" || true
    fi
  done
else
  echo "not root: skipping Debian packages; system tests will skip with their reason"
fi

npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm test
