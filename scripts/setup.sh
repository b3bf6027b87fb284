#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prepare a Debian 12 machine for vnet: packages, hugepages, build. Idempotent; run as root.
#   scripts/setup.sh            install, reserve hugepages, build into build/
#   scripts/setup.sh --asan     also build build-asan/ (AddressSanitizer + UBSan)
#   scripts/setup.sh --fuzz     also build-asan/ and build-fuzz/ (clang, libFuzzer: tests/fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential meson ninja-build pkg-config dpdk dpdk-dev libdpdk-dev libjansson-dev
      libcmocka-dev libpcap-dev libnuma-dev python3 python3-scapy iproute2 iputils-ping
      tcpdump tshark socat netcat-openbsd procps ethtool clang libclang-rt-14-dev
      libnl-3-dev libnl-route-3-dev libbpf-dev libxdp-dev
      qemu-system-x86 busybox-static linux-image-amd64 cpio
      curl openssl dnsmasq-base bind9-dnsutils
      libmicrohttpd-dev libsqlite3-dev libcrypt-dev python3-openstackclient python3-yaml
      libcurl4-gnutls-dev libgnutls28-dev etcd-server etcd-client
      podman runc containernetworking-plugins)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# tshark asks whether non-root users may capture; answer no without a prompt.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# 2 MiB hugepages for DPDK: at least 512, and hugetlbfs mounted.
if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 512 ]; then
	echo 512 > /proc/sys/vm/nr_hugepages
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages

[ -d build ] || meson setup build
ninja -C build
if [ "${1:-}" = "--asan" ] || [ "${1:-}" = "--fuzz" ]; then
	[ -d build-asan ] || meson setup build-asan -Db_sanitize=address,undefined
	ninja -C build-asan
fi
if [ "${1:-}" = "--fuzz" ]; then
	[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined
	ninja -C build-fuzz
fi
