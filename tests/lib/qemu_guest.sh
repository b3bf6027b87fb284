# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# qemu_guest.sh: boot small real Linux guests in QEMU on a vhost-user socket, for system tests.
#
# Debian 12 packages (CI: `apt-get install -y ...`; --no-install-recommends is enough):
#   qemu-system-x86 busybox-static linux-image-amd64 cpio python3
# (linux-image-amd64 brings kmod for modinfo; installing it runs update-initramfs, ~20 s, whose
# initrd is not used here. gzip and coreutils are essential packages.)
#
# Each guest is a Debian kernel from /boot (QG_KERNEL to choose another) and a ~1.2 MB initramfs
# made here: busybox static, the virtio modules the kernel does not have built in (Debian 12:
# virtio_pci, virtio_net, virtio_console and their dependencies, copied from /lib/modules/<ver>
# and insmod'ed in dependency order) and a /init that configures eth0 from the kernel command
# line (vnet.ip=, vnet.gw=, vnet.mac=, vnet.ip6=, vnet.mtu=, vnet.name=) and then serves commands
# on a virtio-serial port. Busybox gives ping, nc, wget, ip, netstat, dd... The guest keeps the
# default Linux virtio-net offloads (it acks csum, GSO/TSO and mergeable rx buffers whenever the
# backend offers them). IPv6 is disabled on eth0 unless vnet.ip6= is given (no ND/MLD noise).
#
# QEMU runs in the background (nice 10): KVM when /dev/kvm is hardware KVM, else TCG; 256 MB of
# memfd-backed shared memory (vhost-user needs the guest RAM shared: share=on, else the backend
# cannot map the rings and buffers); -nodefaults (no stray e1000 or VGA) and -no-reboot with
# panic=-1 (a guest panic ends QEMU); serial console ttyS0 to $(qg_dir NAME)/console.log; a human
# monitor on mon.sock. No -nographic: it puts the console and the monitor on QEMU's stdio, takes
# over the terminal, and a background QEMU with stdin at EOF or a closed stdout misbehaves.
#
# vhost-user modes. Server (default): QEMU listens on SOCK, the switch connects as a client and
# reconnects after a restart of its own; the guest keeps its NIC, addresses and ARP cache, its
# eth0 carrier goes 0 while no backend is connected (QEMU sets the link down when the socket
# closes) and 1 again once a new backend has set the device up. NB: QEMU 7.2 does not start the
# guest at all until a first backend has connected (the vhost-user netdev waits for it during
# startup, "wait=off" notwithstanding): qg_start returns at once, qg_wait_up waits for both.
# Client (QG_VHOST_MODE=client): QEMU connects to a server socket with reconnect=1 (it retries
# every second, at startup too, where it also blocks until connected). A server-side backend
# that is killed leaves its socket file: DPDK's vhost does not unlink a stale one and fails to
# start ("Failed to start driver for ...") until it is removed.
#
# Command channel: a virtio-serial port "qg.ctl" on a unix socket (ctl.sock; no tty, so no echo
# or CR/LF games, and no interleaving with kernel messages as on a serial console). The host
# sends one line "ID TIMEOUT BASE64(script)"; the guest's /init runs the script with sh in its
# own session (stdin /dev/null, stdout+stderr to the port), kills its whole process group after
# TIMEOUT s, and answers "@@QG-BEGIN ID@@\n<output>\n@@QG-END ID RC@@". The host keeps only what
# is between the markers of its own ID, so output of an earlier timed-out command is never mixed
# in. One command at a time per guest (QEMU serves one client of ctl.sock at a time; a second
# qg_run waits in the socket's backlog).
#
# Functions (all waits bounded, polling a condition; nothing sleeps a fixed time to synchronize):
#   qg_build_initramfs OUTDIR         make OUTDIR/initramfs.cpio.gz (and set QG_INITRD, QG_KERNEL)
#   qg_start NAME SOCK MAC IP/PLEN [GW] [QEMU_ARGS...]
#                                     boot guest NAME (GW "" or "-" for none) in the background
#   qg_wait_up NAME TIMEOUT           wait until the guest's command shell answers (fails at
#                                     once if QEMU exits; says so when no backend ever came)
#   qg_run NAME TIMEOUT CMD...        run CMD in the guest (one argument: a sh script; several:
#                                     a command and its arguments, quoted); prints its output,
#                                     returns its exit status (124: timed out, 125: QEMU gone)
#   qg_wait_carrier NAME TIMEOUT      wait until the guest's eth0 has carrier and is operstate up
#   qg_features NAME                  the virtio-net features the guest driver negotiated, by name
#   qg_decode_features BITS           names of the bits of 0xHEX (vhost logs) or 0101... (sysfs)
#   qg_hmp NAME CMD                   a QEMU human monitor command (e.g. "set_link n0 off")
#   qg_stop NAME                      SIGTERM QEMU (SIGKILL after 10 s), remove its files
#   qg_cleanup                        stop every guest, remove the temp dir (call it from your
#                                     EXIT trap; with tests/lib/sys.sh the QEMU pids are also in
#                                     SYS_PIDS and the files in SYS_TMP, so sys.sh's cleanup
#                                     ends and removes them too)
#   qg_dump NAME                      QEMU's log and the end of the console, to stderr
#   qg_dir NAME / qg_console NAME / qg_pid NAME / qg_boot_ms NAME / qg_accel
#
# Options (environment; VAR=value qg_start ... sets one for a single guest):
#   QG_KERNEL, QG_INITRD  kernel image / initramfs (default: newest /boot/vmlinuz-* that has
#                         /lib/modules/<ver>; initramfs built on first qg_start)
#   QG_MODULES            modules for the initramfs (default virtio_pci virtio_net virtio_console)
#   QG_ACCEL              auto (default), kvm or tcg
#   QG_VHOST_MODE         server (default) or client
#   QG_QUEUES             queue pairs (default 1; the guest uses min(QUEUES, vCPUs) of them)
#   QG_VECTORS            MSI-X vectors of the NIC (default 2*QUEUES+2 with KVM, 0 = INTx with
#                         TCG, where QEMU 7.2 segfaults with vhost-user and MSI-X)
#   QG_SMP                vCPUs (default 1)
#   QG_MEM_MB             guest memory in MiB (default 256)
#   QG_NIC_OPTS           more virtio-net-pci properties, e.g. "rx_queue_size=1024,csum=off"
#   QG_APPEND             more kernel command line (e.g. "vnet.ip6=fd00::2/64 vnet.mtu=9000")
#   QG_NICE               nice value for QEMU (default 10)
#   QG_TMP                where guests keep their files (default $SYS_TMP/qg, else a mktemp dir)
#   QG_KEEP=1             qg_stop/qg_cleanup leave the files (console logs) in place
#
# Unix socket paths are limited to 107 bytes: keep QG_TMP and SOCK short.

QG_PY=${QG_PY:-/usr/bin/python3}
QG_TMP=${QG_TMP:-}
QG_TMP_OWNED=0
QG_KEEP=${QG_KEEP:-0}
QG_ACCEL_FOUND= # kvm or tcg, once probed
declare -A QG_PID=() QG_DIR=() QG_SOCK=() QG_MODE=() QG_T0=() QG_BOOT_MS=()

qg_log() { printf 'qg: %s\n' "$*" >&2; }

# qg_now_ms: monotonic-enough wall clock in milliseconds.
qg_now_ms() {
	local t
	t=$(date +%s%N)
	printf '%s\n' "$((t / 1000000))"
}

# qg_tmp_init: set QG_TMP, the directory guests keep their files in, making it on first use.
# (Call it in the current shell, not in $(...): the choice must stick.)
qg_tmp_init() {
	if [[ -z $QG_TMP ]]; then
		if [[ -n ${SYS_TMP:-} && -d ${SYS_TMP:-} ]]; then
			QG_TMP=$SYS_TMP/qg
		else
			QG_TMP=$(mktemp -d /tmp/qg.XXXXXX) || return 1
			QG_TMP_OWNED=1
		fi
	fi
	mkdir -p "$QG_TMP"
}

# qg_kernel: path of the guest kernel (QG_KERNEL, or the newest /boot/vmlinuz-VER with modules).
qg_kernel() {
	local k ver best=
	if [[ -n ${QG_KERNEL:-} ]]; then
		printf '%s\n' "$QG_KERNEL"
		return 0
	fi
	for k in $(printf '%s\n' /boot/vmlinuz-* | sort -V); do
		[[ -f $k ]] || continue
		ver=${k#/boot/vmlinuz-}
		[[ -d /lib/modules/$ver ]] && best=$k
	done
	if [[ -z $best ]]; then
		qg_log "no /boot/vmlinuz-* with /lib/modules/<ver>: apt-get install -y linux-image-amd64"
		return 1
	fi
	QG_KERNEL=$best
	printf '%s\n' "$best"
}

# qg_kver KERNEL: the version of a /boot/vmlinuz-VER (QG_KVER overrides).
qg_kver() {
	if [[ -n ${QG_KVER:-} ]]; then
		printf '%s\n' "$QG_KVER"
	else
		printf '%s\n' "${1##*/vmlinuz-}"
	fi
}

# qg_mod_order KVER MODULE...: print "name path" of each module that is not built in, with its
# dependencies (modinfo -F depends) first; built-in ones (modules.builtin) are left out.
qg_mod_order() {
	local kver=$1
	shift
	local -A seen=()
	local m
	_qg_mod_visit() {
		local m=${1//-/_} f deps d
		[[ -n ${seen[$m]:-} ]] && return 0
		seen[$m]=1
		if grep -Eq "/${m//_/[-_]}\.ko(\.[a-z0-9]+)?$" "/lib/modules/$kver/modules.builtin" 2>/dev/null; then
			return 0 # built in
		fi
		f=$(modinfo -k "$kver" -F filename "$m" 2>/dev/null) || f=
		if [[ -z $f ]]; then
			qg_log "module $m: not found for kernel $kver (not built in either)"
			return 1
		fi
		[[ $f == "(builtin)" ]] && return 0
		deps=$(modinfo -k "$kver" -F depends "$m")
		for d in ${deps//,/ }; do
			_qg_mod_visit "$d" || return 1
		done
		printf '%s %s\n' "$m" "$f"
	}
	for m in "$@"; do
		_qg_mod_visit "$m" || return 1
	done
}

# The guest's /init (PID 1), busybox ash.
read -r -d '' QG_INIT_SCRIPT <<'QGINIT' || true
#!/bin/sh
# vnet tests/lib/qemu_guest.sh guest init: network from the kernel command line, then a command
# server on the virtio-serial port "qg.ctl".
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
log() { echo "qg-init: $*"; }
log "start, uptime $(cut -d' ' -f1 /proc/uptime) s"
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/qg/$m.ko" || log "insmod $m failed"
done </lib/qg/modules
ip= gw= mac= ip6= mtu= name=qg
for w in $(cat /proc/cmdline); do
	case $w in
	vnet.ip=*) ip=${w#*=} ;;
	vnet.gw=*) gw=${w#*=} ;;
	vnet.mac=*) mac=${w#*=} ;;
	vnet.ip6=*) ip6=${w#*=} ;;
	vnet.mtu=*) mtu=${w#*=} ;;
	vnet.name=*) name=${w#*=} ;;
	esac
done
hostname "$name"
ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
if [ -e /sys/class/net/eth0 ]; then
	if [ -z "$ip6" ] && [ -e /proc/sys/net/ipv6/conf/eth0/disable_ipv6 ]; then
		echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6
	fi
	if [ -n "$ip6" ]; then
		echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_dad
		echo 0 >/proc/sys/net/ipv6/conf/eth0/router_solicitations
	fi
	[ -n "$mac" ] && ip link set dev eth0 address "$mac"
	[ -n "$mtu" ] && ip link set dev eth0 mtu "$mtu"
	[ -n "$ip" ] && ip addr add "$ip" dev eth0
	ip link set dev eth0 up
	[ -n "$ip6" ] && ip -6 addr add "$ip6" dev eth0 nodad
	[ -n "$gw" ] && ip route add default via "$gw"
	log "eth0 $(cat /sys/class/net/eth0/address) ip=$ip gw=$gw carrier=$(cat /sys/class/net/eth0/carrier 2>/dev/null)"
else
	log "no eth0 (virtio_net not loaded?)"
fi
port=
i=0
while [ -z "$port" ] && [ $i -lt 200 ]; do
	for p in /sys/class/virtio-ports/*; do
		[ "$(cat "$p/name" 2>/dev/null)" = qg.ctl ] && port=/dev/${p##*/}
	done
	[ -n "$port" ] || { sleep 0.05; i=$((i + 1)); }
done
[ -n "$port" ] || { log "no virtio-serial port qg.ctl"; exec sleep 2147483647; }
exec 3<>"$port"
log "QG-READY uptime $(cut -d' ' -f1 /proc/uptime) s"
# One command at a time. read returns EOF at once while no host is connected to ctl.sock, hence
# the short sleep then (inside the guest only; the host polls nothing).
while :; do
	if IFS= read -r line <&3; then
		set -- $line
		[ $# -eq 3 ] || continue
		id=$1 to=$2
		printf '%s' "$3" | base64 -d >/tmp/qg.cmd 2>/dev/null
		printf '@@QG-BEGIN %s@@\n' "$id" >&3
		# The command in its own session and process group (pgid = its pid), so that the
		# watchdog kills all of it. The watchdog is ended by pid (its own setsid may not have
		# run yet) and flags a timeout in a file named after this command only.
		setsid sh /tmp/qg.cmd </dev/null >&3 2>&1 3>&- &
		pid=$!
		setsid sh -c 'sleep "$1"; echo >"$3"; kill -9 -- -"$2" "$2"' qgwd "$to" "$pid" "/tmp/qg.to.$id" \
			</dev/null >/dev/null 2>&1 3>&- &
		wd=$!
		wait "$pid"
		rc=$?
		kill -9 "$wd" 2>/dev/null
		wait "$wd" 2>/dev/null
		if [ -e "/tmp/qg.to.$id" ]; then
			rc=124
			rm -f "/tmp/qg.to.$id"
		fi
		printf '\n@@QG-END %s %s@@\n' "$id" "$rc" >&3
	else
		sleep 0.1
	fi
done
QGINIT

# The host end of the command channel: python3 -c "$QG_PY_CTL" CTL_SOCK TIMEOUT SCRIPT.
read -r -d '' QG_PY_CTL <<'QGPY' || true
import base64, os, select, socket, sys, time
path, timeout, script = sys.argv[1], float(sys.argv[2]), sys.argv[3]
qpid = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else 0
def qemu_gone():
    if not qpid:
        return False
    try:
        os.kill(qpid, 0)
        return False
    except ProcessLookupError:
        return True
if not script.strip():
    script = "true"
cid = "%d-%d" % (os.getpid(), time.monotonic_ns())
gto = max(1, int(timeout))
deadline = time.monotonic() + timeout + 5  # the guest kills the command after `timeout`
line = "%s %d %s\n" % (cid, gto, base64.b64encode(script.encode()).decode())
s = None
while True:  # ctl.sock appears once QEMU runs; QEMU serves one client at a time
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(max(0.1, min(1.0, deadline - time.monotonic())))
        s.connect(path)  # bounded: a full listen backlog would block it
        s.settimeout(None)
        break
    except OSError as e:
        s.close()
        if qemu_gone():
            sys.stderr.write("qg_run: QEMU (pid %d) is not running\n" % qpid)
            sys.exit(125)
        if time.monotonic() >= deadline:
            sys.stderr.write("qg_run: cannot connect to %s: %s\n" % (path, e))
            sys.exit(125)
        time.sleep(0.05)
try:
    s.sendall(line.encode())
except OSError as e:
    sys.stderr.write("qg_run: %s: %s (QEMU gone?)\n" % (path, e))
    sys.exit(125)
begin = ("@@QG-BEGIN %s@@\n" % cid).encode()
end = ("\n@@QG-END %s " % cid).encode()
buf = b""
while True:
    b = buf.find(begin)
    if b >= 0:
        e = buf.find(end, b)
        if e >= 0:
            t = buf.find(b"@@", e + len(end))
            if t >= 0:
                sys.stdout.buffer.write(buf[b + len(begin):e])
                sys.stdout.flush()
                sys.exit(int(buf[e + len(end):t]))
    left = deadline - time.monotonic()
    if left <= 0:
        sys.stderr.write("qg_run: no answer from the guest in %.0f s\n" % (timeout + 5))
        if b >= 0:
            sys.stdout.buffer.write(buf[b + len(begin):])
        sys.exit(124)
    r, _, _ = select.select([s], [], [], min(left, 1.0))
    if not r and qemu_gone():
        sys.stderr.write("qg_run: QEMU (pid %d) exited\n" % qpid)
        sys.exit(125)
    if r:
        try:
            d = s.recv(65536)
        except OSError as e:
            d = b""
        if not d:
            sys.stderr.write("qg_run: %s closed (QEMU gone?)\n" % path)
            sys.exit(125)
        buf += d
QGPY

# The QEMU human monitor: python3 -c "$QG_PY_HMP" MON_SOCK TIMEOUT COMMAND.
read -r -d '' QG_PY_HMP <<'QGPY' || true
import select, socket, sys, time
path, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + timeout
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(timeout)
s.connect(path)
s.settimeout(None)
def until(mark):
    buf = b""
    while mark not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            sys.exit("qg_hmp: no prompt from the monitor")
        d = s.recv(65536)
        if not d:
            return buf
        buf += d
    return buf
until(b"(qemu) ")
s.sendall(cmd.encode() + b"\n")
out = until(b"(qemu) ").decode(errors="replace").replace("\r", "")
lines = out.split("\n")[1:-1]  # drop the echo and the prompt
sys.stdout.write("".join(l + "\n" for l in lines))
QGPY

# qg_build_initramfs OUTDIR: OUTDIR/initramfs.cpio.gz for the kernel qg_kernel picks (the
# modules come from /lib/modules/<its version>). Sets QG_INITRD and QG_KERNEL.
qg_build_initramfs() {
	local out=${1:?qg_build_initramfs OUTDIR} kernel kver root name path ko bb mods
	kernel=$(qg_kernel) || return 1
	QG_KERNEL=$kernel
	kver=$(qg_kver "$kernel")
	bb=${QG_BUSYBOX:-/bin/busybox}
	if [[ ! -x $bb ]] || ldd "$bb" >/dev/null 2>&1; then
		qg_log "$bb is missing or not static: apt-get install -y busybox-static"
		return 1
	fi
	if ! command -v cpio >/dev/null; then
		qg_log "no cpio: apt-get install -y cpio"
		return 1
	fi
	# shellcheck disable=SC2086 # QG_MODULES is a list
	mods=$(qg_mod_order "$kver" ${QG_MODULES:-virtio_pci virtio_net virtio_console}) || return 1
	mkdir -p "$out" || return 1
	root=$(mktemp -d "$out/root.XXXXXX") || return 1
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,etc,root,lib/qg}
	cp "$bb" "$root/bin/busybox" || return 1
	ln -s busybox "$root/bin/sh"
	mknod -m 600 "$root/dev/console" c 5 1 || true
	mknod -m 666 "$root/dev/null" c 1 3 || true
	: >"$root/lib/qg/modules"
	while read -r name path; do
		[[ -n $name ]] || continue
		ko=$root/lib/qg/$name.ko
		case $path in
		*.ko) cp "$path" "$ko" ;;
		*.ko.xz) xz -dc "$path" >"$ko" ;;
		*.ko.zst) zstd -qdc "$path" >"$ko" ;;
		*.ko.gz) gzip -dc "$path" >"$ko" ;;
		*) false ;;
		esac || {
			qg_log "cannot copy module $path"
			rm -rf "$root"
			return 1
		}
		echo "$name" >>"$root/lib/qg/modules"
	done <<<"$mods"
	printf '%s\n' "$QG_INIT_SCRIPT" >"$root/init"
	chmod 755 "$root/init"
	if ! (cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio -o -0 -H newc -R 0:0 --quiet | gzip -1) \
		>"$out/initramfs.cpio.gz.tmp"; then
		qg_log "cannot write $out/initramfs.cpio.gz"
		rm -rf "$root"
		return 1
	fi
	mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
	rm -rf "$root"
	QG_INITRD=$out/initramfs.cpio.gz
	qg_log "initramfs $QG_INITRD ($(du -k "$QG_INITRD" | cut -f1) KiB) for $kernel, modules: $(cut -d' ' -f1 <<<"$mods" | paste -sd' ')"
}

# qg_accel: kvm when /dev/kvm is hardware KVM (kvm_intel or kvm_amd loaded) and can create a
# VM, else tcg. QG_ACCEL=kvm|tcg forces one. A /dev/kvm served by kvm_pvm alone (PVM, the
# page-table based nested hypervisor some cloud sandboxes have) creates VMs but only runs
# PVM-enabled guest kernels: a Debian kernel hangs in its decompressor ("-cpu host" even makes
# QEMU 7.2 abort on MSR 0x10a), so that counts as no KVM.
qg_accel() {
	local want=${QG_ACCEL:-auto}
	if [[ $want != auto ]]; then
		printf '%s\n' "$want"
		return 0
	fi
	if [[ -z $QG_ACCEL_FOUND ]]; then
		QG_ACCEL_FOUND=tcg
		if [[ -c /dev/kvm && (-d /sys/module/kvm_intel || -d /sys/module/kvm_amd) ]] && "$QG_PY" -c '
import fcntl, os
fd = os.open("/dev/kvm", os.O_RDWR)
assert fcntl.ioctl(fd, 0xAE00) == 12   # KVM_GET_API_VERSION
os.close(fcntl.ioctl(fd, 0xAE01, 0))   # KVM_CREATE_VM
' 2>/dev/null; then
			QG_ACCEL_FOUND=kvm
		elif [[ -d /sys/module/kvm_pvm ]]; then
			qg_log "/dev/kvm is PVM (kvm_pvm), which cannot run a stock kernel: using TCG"
		fi
	fi
	printf '%s\n' "$QG_ACCEL_FOUND"
}

qg_dir() { printf '%s\n' "${QG_DIR[$1]:?qg: no guest $1}"; }
qg_console() { printf '%s\n' "${QG_DIR[$1]:?qg: no guest $1}/console.log"; }
qg_pid() { printf '%s\n' "${QG_PID[$1]:-}"; }
qg_boot_ms() { printf '%s\n' "${QG_BOOT_MS[$1]:-}"; }

# qg_alive NAME: QEMU of NAME still runs.
qg_alive() {
	local pid=${QG_PID[$1]:-}
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# qg_start NAME SOCK MAC IP/PLEN [GW] [QEMU_ARGS...]: boot guest NAME in the background, its
# virtio-net on the vhost-user socket SOCK (QEMU the server unless QG_VHOST_MODE=client). Returns
# at once; qg_wait_up waits for it. NAME: [a-zA-Z0-9_-], at most 32 characters.
qg_start() {
	local name=${1:?qg_start NAME SOCK MAC IP/PLEN [GW] [QEMU_ARGS...]} sock=${2:?} mac=${3:?} ip=${4:?}
	local gw=${5:-} dir accel cpu mode=${QG_VHOST_MODE:-server} q=${QG_QUEUES:-1} mem=${QG_MEM_MB:-256}
	local chardev append nic vectors
	shift 4
	(($# > 0)) && shift
	[[ $gw == - ]] && gw=
	[[ $name =~ ^[A-Za-z0-9_-]{1,32}$ ]] || {
		qg_log "qg_start: bad name '$name'"
		return 1
	}
	if [[ -n ${QG_PID[$name]:-} ]]; then
		qg_log "qg_start: guest $name already started"
		return 1
	fi
	command -v qemu-system-x86_64 >/dev/null || {
		qg_log "no qemu-system-x86_64: apt-get install -y qemu-system-x86"
		return 1
	}
	qg_tmp_init || return 1
	if [[ -z ${QG_INITRD:-} ]]; then
		qg_build_initramfs "$QG_TMP/initramfs" || return 1
	fi
	dir=$QG_TMP/$name
	mkdir -p "$dir" || return 1
	rm -f "$dir/console.log" "$dir/ctl.sock" "$dir/mon.sock" "$dir/qemu.pid"
	accel=${QG_ACCEL:-auto}
	if [[ $accel == auto ]]; then
		qg_accel >/dev/null
		accel=$QG_ACCEL_FOUND
	fi
	if [[ $accel == kvm ]]; then cpu=host; else cpu=max; fi
	case $mode in
	server) chardev="socket,id=c0,path=$sock,server=on,wait=off" ;;
	client) chardev="socket,id=c0,path=$sock,reconnect=1" ;;
	*)
		qg_log "qg_start: QG_VHOST_MODE must be server or client, not '$mode'"
		return 1
		;;
	esac
	append="console=ttyS0 panic=-1 quiet vnet.name=$name vnet.mac=$mac vnet.ip=$ip"
	[[ -n $gw ]] && append+=" vnet.gw=$gw"
	[[ -n ${QG_APPEND:-} ]] && append+=" $QG_APPEND"
	# MSI-X vectors: 2 per queue pair + config + control. Under TCG, QEMU 7.2 (Debian 12) crashes
	# (SIGSEGV in msix_set_vector_notifiers from vhost_net_start, when the guest driver sets
	# DRIVER_OK) with vhost-user and MSI-X: INTx there (vectors=0), unless QG_VECTORS says.
	vectors=${QG_VECTORS:-}
	if [[ -z $vectors ]]; then
		if [[ $accel == kvm ]]; then vectors=$((2 * q + 2)); else vectors=0; fi
	fi
	nic="virtio-net-pci,netdev=n0,mac=$mac,mq=on,vectors=$vectors"
	[[ -n ${QG_NIC_OPTS:-} ]] && nic+=",$QG_NIC_OPTS"
	# shellcheck disable=SC2054 # commas are QEMU's
	local -a cmd=(nice -n "${QG_NICE:-10}" qemu-system-x86_64 -name "$name" -nodefaults -no-user-config
		-display none -no-reboot -accel "$accel" -cpu "$cpu" -smp "${QG_SMP:-1}" -m "${mem}M"
		-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa node,memdev=mem
		-kernel "$(qg_kernel)" -initrd "$QG_INITRD" -append "$append"
		-chardev "file,id=con0,path=$dir/console.log" -serial chardev:con0
		-chardev "$chardev" -netdev "vhost-user,id=n0,chardev=c0,queues=$q" -device "$nic"
		-device virtio-serial-pci,id=vser0
		-chardev "socket,id=ctl,path=$dir/ctl.sock,server=on,wait=off"
		-device virtserialport,bus=vser0.0,chardev=ctl,name=qg.ctl
		-monitor "unix:$dir/mon.sock,server=on,wait=off" -pidfile "$dir/qemu.pid" "$@")
	QG_DIR[$name]=$dir
	QG_SOCK[$name]=$sock
	QG_MODE[$name]=$mode
	QG_T0[$name]=$(qg_now_ms)
	printf '%q ' "${cmd[@]}" >"$dir/cmdline"
	echo >>"$dir/cmdline"
	"${cmd[@]}" </dev/null >"$dir/qemu.log" 2>&1 &
	QG_PID[$name]=$!
	if declare -p SYS_PIDS >/dev/null 2>&1; then
		SYS_PIDS+=("${QG_PID[$name]}")
	fi
	qg_log "guest $name: QEMU pid ${QG_PID[$name]} ($accel, vhost-user $mode on $sock, $q queue pair(s), vectors=$vectors), files in $dir"
}

# qg_dump NAME: QEMU's messages and the end of the console, to stderr (after a failure).
qg_dump() {
	local dir=${QG_DIR[$1]:-}
	[[ -n $dir ]] || return 0
	if [[ -s $dir/qemu.log ]]; then
		qg_log "--- guest $1: QEMU log ($dir/qemu.log):"
		tail -n 20 "$dir/qemu.log" >&2
	fi
	qg_log "--- guest $1: console ($dir/console.log), last lines:"
	tail -n 30 "$dir/console.log" 2>/dev/null | tr -d '\r' >&2
}

# qg_wait_up NAME TIMEOUT: wait until NAME's /init announced itself on the console and answered
# a command; fails at once if QEMU exits. Records the boot time (qg_boot_ms NAME).
qg_wait_up() {
	local name=${1:?qg_wait_up NAME TIMEOUT} timeout=${2:?} deadline left out
	[[ -n ${QG_DIR[$name]:-} ]] || {
		qg_log "qg_wait_up: no guest $name"
		return 1
	}
	deadline=$((SECONDS + timeout))
	until grep -q 'QG-READY' "${QG_DIR[$name]}/console.log" 2>/dev/null; do
		if ! qg_alive "$name"; then
			qg_log "guest $name: QEMU exited before the guest was up"
			qg_dump "$name"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			qg_log "guest $name: not up after $timeout s"
			if grep -q 'waiting for connection' "${QG_DIR[$name]}/qemu.log" 2>/dev/null &&
				! grep -q . "${QG_DIR[$name]}/console.log" 2>/dev/null; then
				qg_log "(QEMU starts the guest only once a vhost-user backend has connected to ${QG_SOCK[$name]})"
			fi
			qg_dump "$name"
			return 1
		fi
		sleep 0.05
	done
	left=$((deadline - SECONDS))
	((left < 2)) && left=2
	if ! out=$(qg_run "$name" "$left" echo qg-ping 2>&1) || [[ $out != qg-ping ]]; then
		qg_log "guest $name: console says ready but the command channel does not answer: $out"
		qg_dump "$name"
		return 1
	fi
	QG_BOOT_MS[$name]=$(($(qg_now_ms) - QG_T0[$name]))
	qg_log "guest $name up in ${QG_BOOT_MS[$name]} ms"
}

# qg_run NAME TIMEOUT CMD...: run a command in guest NAME with busybox sh, stdin /dev/null;
# print its stdout and stderr (merged), return its exit status. One CMD argument is a sh script
# (pipes, ;, &&, $VARS of the guest all work: qg_run g 5 'dd if=/dev/zero count=1 | wc -c');
# several are a command and its arguments, passed on exactly (qg_run g 5 ping -c 1 "$IP").
# The guest kills the command's process group after TIMEOUT s (status 124); 125: no answer
# (QEMU gone). Commands left in the background (cmd &) must redirect their output, else it
# lands in the output of later commands' channel (it is dropped between commands).
qg_run() {
	local name=${1:?qg_run NAME TIMEOUT CMD...} timeout=${2:?} script a q="'"
	shift 2
	[[ -n ${QG_DIR[$name]:-} ]] || {
		qg_log "qg_run: no guest $name"
		return 125
	}
	if (($# == 1)); then
		script=$1
	else
		script=
		for a in "$@"; do
			script+=" '${a//$q/$q\\$q$q}'"
		done
	fi
	"$QG_PY" -c "$QG_PY_CTL" "${QG_DIR[$name]}/ctl.sock" "$timeout" "$script" "${QG_PID[$name]:-}"
}

# qg_wait_carrier NAME TIMEOUT: wait until eth0 in guest NAME has carrier (QEMU reports link up
# once a vhost-user backend is connected and set up) and its operstate is "up": the kernel's
# linkwatch acts on a carrier change up to a second later, and until then eth0 has no working
# qdisc and drops what it is given to send.
qg_wait_carrier() {
	local name=${1:?} timeout=${2:?} deadline
	deadline=$((SECONDS + timeout))
	until [[ $(qg_run "$name" 5 'cat /sys/class/net/eth0/carrier /sys/class/net/eth0/operstate' 2>/dev/null | paste -sd' ') == "1 up" ]]; do
		if ((SECONDS >= deadline)) || ! qg_alive "$name"; then
			qg_log "guest $name: eth0 has no carrier after $timeout s"
			return 1
		fi
		sleep 0.05
	done
}

# Names of the virtio(-net) feature bits (virtio 1.2 and linux/virtio_net.h).
QG_VIRTIO_FEATURES=(
	[0]=CSUM [1]=GUEST_CSUM [2]=CTRL_GUEST_OFFLOADS [3]=MTU [5]=MAC [6]=GSO [7]=GUEST_TSO4
	[8]=GUEST_TSO6 [9]=GUEST_ECN [10]=GUEST_UFO [11]=HOST_TSO4 [12]=HOST_TSO6 [13]=HOST_ECN
	[14]=HOST_UFO [15]=MRG_RXBUF [16]=STATUS [17]=CTRL_VQ [18]=CTRL_RX [19]=CTRL_VLAN
	[20]=CTRL_RX_EXTRA [21]=GUEST_ANNOUNCE [22]=MQ [23]=CTRL_MAC_ADDR [24]=NOTIFY_ON_EMPTY
	[27]=ANY_LAYOUT [28]=RING_INDIRECT_DESC [29]=RING_EVENT_IDX [30]=VHOST_USER_PROTOCOL_FEATURES
	[32]=VERSION_1 [33]=ACCESS_PLATFORM [34]=RING_PACKED [35]=IN_ORDER [36]=ORDER_PLATFORM
	[37]=SR_IOV [38]=NOTIFICATION_DATA [40]=RING_RESET [52]=VQ_NOTF_COAL [53]=NOTF_COAL
	[54]=GUEST_USO4 [55]=GUEST_USO6 [56]=HOST_USO [57]=HASH_REPORT [59]=GUEST_HDRLEN [60]=RSS
	[61]=RSC_EXT [62]=STANDBY [63]=SPEED_DUPLEX
)

# qg_decode_features BITS: names of the set bits; BITS is 0x-hex (as vhost logs it) or a string
# of 0/1 with bit 0 first (as /sys/bus/virtio/devices/*/features shows it).
qg_decode_features() {
	local v=$1 i out=()
	if [[ $v == 0x* ]]; then
		for ((i = 0; i < 64; i++)); do
			(((v >> i) & 1)) && out+=("${QG_VIRTIO_FEATURES[$i]:-bit$i}")
		done
	else
		for ((i = 0; i < ${#v}; i++)); do
			[[ ${v:i:1} == 1 ]] && out+=("${QG_VIRTIO_FEATURES[$i]:-bit$i}")
		done
	fi
	printf '%s\n' "${out[*]}"
}

# qg_features NAME: the features the guest's virtio-net driver negotiated, by name.
qg_features() {
	local bits
	bits=$(qg_run "$1" 5 cat /sys/class/net/eth0/device/features) || return 1
	qg_decode_features "$bits"
}

# qg_hmp NAME COMMAND: run a QEMU monitor command (e.g. "info network", "set_link n0 off").
qg_hmp() {
	local name=${1:?qg_hmp NAME COMMAND}
	"$QG_PY" -c "$QG_PY_HMP" "${QG_DIR[$name]:?qg: no guest $name}/mon.sock" 10 "$2"
}

# qg_stop NAME: SIGTERM QEMU (it exits cleanly and removes its sockets), SIGKILL after 10 s;
# remove the guest's files (not with QG_KEEP=1) and, in server mode, the vhost-user socket.
qg_stop() {
	local name=${1:?qg_stop NAME} pid dir deadline
	pid=${QG_PID[$name]:-}
	dir=${QG_DIR[$name]:-}
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		deadline=$((SECONDS + 10))
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null; then
			qg_log "guest $name: QEMU still running 10 s after SIGTERM: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	fi
	if [[ ${QG_MODE[$name]:-} == server && -S ${QG_SOCK[$name]:-} ]]; then
		rm -f "${QG_SOCK[$name]}"
	fi
	if [[ -n $dir && $QG_KEEP != 1 ]]; then
		rm -rf -- "$dir"
	fi
	unset "QG_PID[$name]" "QG_DIR[$name]" "QG_SOCK[$name]" "QG_MODE[$name]" "QG_T0[$name]"
	return 0
}

# qg_cleanup: stop every guest of this shell and remove the temp dir if qg made it. Idempotent.
qg_cleanup() {
	local name
	for name in "${!QG_PID[@]}"; do
		qg_stop "$name"
	done
	if [[ $QG_TMP_OWNED == 1 && -n $QG_TMP && $QG_KEEP != 1 ]]; then
		rm -rf -- "$QG_TMP"
		QG_TMP=
		QG_TMP_OWNED=0
	fi
	return 0
}
