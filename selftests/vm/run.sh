#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey VM test harness: builds the modules, the userspace tools and the
# selftests, packs them with Debian's kernel modules and a busybox-static
# /init into an initramfs, boots Debian's kernel in QEMU (TCG, no network)
# and turns what the guest prints into TAP on stdout.
#
#   selftests/vm/run.sh            run the selftests (default): several boots
#                                  of the same initramfs, one mode each
#                                  (kernel command line ck_mode=MODE):
#        test       kselftests of /dev/chipkey, CLI (guest-run.sh)
#        provision  boot 1: a factory's SPP + pubdb in the guest on
#                   127.0.0.1 provision the real /dev/chipkey; flash store
#                   on a virtio disk (guest-provision.sh)
#        restore    boot 2, flash wiped by the host: the busybox init script
#                   userspace/boot/chipkey-boot restores from the pubdb
#        tamper     boot 3, flash wiped again: tampered records crafted on
#                   the host are refused; offline recovery from a file
#                   (guest-recovery.sh)
#                                  The host compares what boots 2 and 3
#                                  restored with boot 1, byte for byte, and
#                                  verifies the device certificate with
#                                  openssl.
#   selftests/vm/run.sh --bench    run bench/ck_bench_dev in the VM instead
#   selftests/vm/run.sh --shell    interactive busybox shell on the console
#   selftests/vm/run.sh --demo DIR the guest half of `make demo`: DIR holds
#                                  fuse.bin, data.bin and emu.ckb; the
#                                  kernel's package is written to
#                                  DIR/kernel.ckb
#
# Environment: KVER (default: from the linux-image-amd64 package),
# CK_VM_KIMG, CK_VM_KHDR, CK_VM_MODROOT (kernel image, build tree, and the
# root holding lib/modules/$KVER; default Debian's /boot, /usr/src, /: a
# debug kernel is run by pointing these at its build, see debug-kernel.sh),
# CK_VM_TIMEOUT (seconds per boot, default 900), CK_VM_SKIP_BUILD=1 (reuse
# builds), CK_VM_BOOTS (boots of the default run, default
# "test provision restore tamper"; restore and tamper need provision).
#
# Disks of the recovery boots (build/vm/recovery/, virtio, ext4, found in
# the guest by their serial): flash.img (serial ckflash, the device's
# flash), factory.img (ckfactory: factory dir + SQLite factory and public
# databases, kept across the boots), media.img (ckmedia: archives for
# boot 3).  Host tools: openssl, mkfs.ext4 (e2fsprogs), base64.
#
# stdout carries only TAP lines ("ok N - ...", "not ok N - ...") and '#'
# comments; build output and the raw VM logs go to build/vm/.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/build/vm
MODE=test
DEMO_DIR=
case ${1:-} in
--bench) MODE=bench ;;
--shell) MODE=shell ;;
--demo) MODE=demo; DEMO_DIR=$(cd "${2:?--demo needs a directory}" && pwd) ;;
"" | --test) ;;
*) echo "usage: $0 [--test|--bench|--shell|--demo DIR]" >&2; exit 2 ;;
esac
TIMEOUT=${CK_VM_TIMEOUT:-900}
BOOTS=${CK_VM_BOOTS:-test provision restore tamper}
[ "$MODE" = test ] || BOOTS=$MODE
has_boot() { case " $BOOTS " in *" $1 "*) return 0 ;; esac; return 1; }
REC_BOOTS=
for b in provision restore tamper; do has_boot $b && REC_BOOTS="$REC_BOOTS $b"; done
END_MARKER=CHIPKEY-VM-RUN-COMPLETE-5b1e

mkdir -p "$OUT"
# One run at a time: every run rebuilds build/vm (initramfs, disks, logs)
# and kmod/*.ko; a second run (make demo, run-debug.sh) waits here.
exec 9> "$OUT/.lock"
if ! flock -n 9; then
	echo "# waiting for another selftests/vm/run.sh to finish ($OUT/.lock)"
	flock 9
fi
RAW=$OUT/results.raw
BUILDLOG=$OUT/build.log
: > "$RAW"
: > "$BUILDLOG"

ok() { echo "ok - $*" >> "$RAW"; }
nok() { echo "not ok - $*" >> "$RAW"; }
note() { echo "# $*" >> "$RAW"; }

# Print $RAW as numbered TAP, then exit non-zero if anything failed.
finish() {
	awk '
	/^(not )?ok - / {
		n++
		if ($0 ~ /^not ok/) { fail++; print "not ok " n " - " substr($0, 10) }
		else print "ok " n " - " substr($0, 6)
		next
	}
	{ print }
	END { print "1.." n; exit fail ? 1 : 0 }' "$RAW"
	exit $?
}

die() { nok "$*"; finish; }

# ---------------------------------------------------------------- kernel
KVER=${KVER:-$(dpkg -s linux-image-amd64 2>/dev/null |
	sed -n 's/^Depends:.*linux-image-\([^ ,]*\).*/\1/p')}
[ -n "$KVER" ] || die "find the kernel version (linux-image-amd64 installed?)"
KIMG=${CK_VM_KIMG:-/boot/vmlinuz-$KVER}
KHDR=${CK_VM_KHDR:-/usr/src/linux-headers-$KVER}
MODROOT=${CK_VM_MODROOT:-}
note "kernel $KVER ($KIMG)"
[ -r "$KIMG" ] || die "kernel image $KIMG readable"
[ -d "$KHDR" ] || die "kernel headers $KHDR installed"
[ -d "$MODROOT/lib/modules/$KVER" ] || die "kernel modules in $MODROOT/lib/modules/$KVER"

# ----------------------------------------------------------------- build
if [ -z "${CK_VM_SKIP_BUILD:-}" ]; then
	if make -C "$KHDR" M="$TOP" modules >> "$BUILDLOG" 2>&1; then
		ok "build chipkey.ko + chipkey_vfuse.ko against $KVER"
	else
		tail -20 "$BUILDLOG" | sed 's/^/# /' >> "$RAW"
		die "build chipkey.ko + chipkey_vfuse.ko against $KVER"
	fi
	if [ -f "$TOP/userspace/Makefile" ] && make -C "$TOP/userspace" >> "$BUILDLOG" 2>&1; then
		ok "build userspace (libchipkey, chipkey, chipkey-emu, chipkey-fuse)"
	else
		tail -20 "$BUILDLOG" | sed 's/^/# /' >> "$RAW"
		nok "build userspace (libchipkey, chipkey, chipkey-emu, chipkey-fuse)"
	fi
	if [ -n "$REC_BOOTS" ]; then
		# chipkey-factory, -spp, -agent, -pubdb; rec-tool (forged records)
		bad=
		for d in store pubdb factory spp recovery; do
			make -C "$TOP/userspace/$d" >> "$BUILDLOG" 2>&1 || bad="$bad $d"
		done
		if [ -z "$bad" ]; then
			ok "build userspace (store, pubdb, factory, spp + agent, recovery tools)"
		else
			tail -20 "$BUILDLOG" | sed 's/^/# /' >> "$RAW"
			nok "build userspace (store, pubdb, factory, spp + agent, recovery tools): failed in$bad"
		fi
	fi
	if make -C "$TOP/selftests" >> "$BUILDLOG" 2>&1; then
		ok "build selftests"
	else
		tail -20 "$BUILDLOG" | sed 's/^/# /' >> "$RAW"
		die "build selftests"
	fi
	if [ "$MODE" = bench ]; then
		make -C "$TOP/bench" build >> "$BUILDLOG" 2>&1 ||
			die "build benchmarks"
	fi
fi
for m in chipkey chipkey_vfuse; do
	[ -f "$TOP/kmod/$m.ko" ] || die "kmod/$m.ko exists"
done

# ----------------------------------------------------------- fuse images
FUSE=$OUT/fuse
rm -rf "$FUSE"
mkdir -p "$FUSE"
chmod 700 "$FUSE"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$FUSE/manufacturer.key" 2>> "$BUILDLOG" &&
openssl pkey -in "$FUSE/manufacturer.key" -pubout -outform DER \
	-out "$FUSE/manufacturer.pub.der" 2>> "$BUILDLOG" ||
	die "make the manufacturer key (openssl genpkey P-256)"

# chipkey-fuse (the project's tool) if it can do it, else mkfuse.sh.
mkimage() { # mkimage OUT random|zero|ones
	set -- "$1" "$2" $([ "$2" = random ] || echo "--unprogrammed $2")
	if [ -x "$TOP/build/bin/chipkey-fuse" ] &&
	   "$TOP/build/bin/chipkey-fuse" create "$1" --force \
		--rom-key "$FUSE/manufacturer.pub.der" ${3:-} ${4:-} >> "$BUILDLOG" 2>&1 &&
	   [ "$(wc -c < "$1")" -eq 512 ]; then
		echo "chipkey-fuse"
		return 0
	fi
	"$TOP/selftests/vm/mkfuse.sh" "$1" "$2" "$FUSE/manufacturer.pub.der" >> "$BUILDLOG" 2>&1 &&
		echo "mkfuse.sh"
}
for spec in fuse.bin:random fuse-b.bin:random fuse-zero.bin:zero fuse-ones.bin:ones; do
	tool=$(mkimage "$FUSE/${spec%%:*}" "${spec#*:}") || die "make fuse image ${spec%%:*}"
	note "fuse image ${spec%%:*} (${spec#*:} key) made by $tool"
done
cmp -s -n 24 "$FUSE/fuse.bin" "$FUSE/fuse-b.bin" && die "fuse images A and B have different chip IDs"
VEC=$TOP/docs/test-vectors
[ -f "$VEC/fuse-vectors.bin" ] && cp "$VEC/fuse-vectors.bin" "$FUSE/"
# The demo's chip: the same fuse image the host's emulator used.
[ "$MODE" = demo ] && { cp "$DEMO_DIR/fuse.bin" "$FUSE/fuse.bin" || die "demo fuse image"; }

# ------------------------------------------- factory for the recovery boots
# A factory made on the host (chipkey-factory init, SQLite pool), its dir and
# database on the factory disk; the chip of these boots is fuse-fac.bin,
# whose ROM key is the factory's manufacturer public key.
REC=$OUT/recovery
# mkdisk IMG MiB [DIR]: a fresh ext4 image, filled from DIR if given
mkdisk() {
	rm -f "$1" && truncate -s "$2M" "$1" &&
		mkfs.ext4 -q -F -E root_owner=0:0 ${3:+-d "$3"} "$1" >> "$BUILDLOG" 2>&1
}
rec_skip() { # every result of the recovery boots, skipped
	local b keep=
	for b in $REC_BOOTS; do echo "ok - $b: boot # SKIP $*" >> "$RAW"; done
	for b in $BOOTS; do case $b in provision | restore | tamper) ;; *) keep="$keep $b" ;; esac; done
	BOOTS=$keep REC_BOOTS=
}
if [ -n "$REC_BOOTS" ]; then
	rm -rf "$REC"
	mkdir -p "$REC/factory-disk" "$REC/media"
	chmod 700 "$REC"
	if ! command -v mkfs.ext4 > /dev/null; then
		rec_skip "mkfs.ext4 (e2fsprogs) not installed on the host"
	elif ! (for m in virtio_pci virtio_blk ext4; do
		modprobe -d "${MODROOT:-/}" -S "$KVER" --show-depends "$m" > /dev/null 2>&1 || exit 1
	done); then
		rec_skip "kernel $KVER has no virtio_pci/virtio_blk/ext4"
	else
		FB=$TOP/build/bin
		FD=$REC/factory-disk
		if "$FB/chipkey-factory" identities --prefix 35123400 --count 8 > "$REC/ids.txt" 2>> "$BUILDLOG" &&
		   "$FB/chipkey-factory" init "$FD/fac" --db "sqlite:$FD/factory.db" \
			--pool "$REC/ids.txt" >> "$BUILDLOG" 2>&1; then
			ok "factory for the recovery boots: chipkey-factory init, 8 identities (SQLite)"
		else
			nok "factory for the recovery boots: chipkey-factory init, 8 identities (SQLite)"
		fi
		if "$FB/chipkey-fuse" create "$FUSE/fuse-fac.bin" --force \
			--rom-key "$FD/fac/mfr-pubkey.der" >> "$BUILDLOG" 2>&1 &&
		   mkdisk "$REC/flash.img" 16 && mkdisk "$REC/factory.img" 32 "$FD"; then
			ok "fuse image with the factory's ROM key; flash and factory disks (ext4)"
		else
			nok "fuse image with the factory's ROM key; flash and factory disks (ext4)"
			rec_skip "no factory"
		fi
	fi
fi

# -------------------------------------------------------------- initramfs
ROOT=$OUT/root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/share/chipkey,lib/firmware/chipkey,selftests,bench,etc,root,tmp}
cp /bin/busybox "$ROOT/bin/busybox" 2>/dev/null || die "busybox-static installed (/bin/busybox)"
file -L "$ROOT/bin/busybox" 2>/dev/null | grep -q 'dynamically' &&
	die "/bin/busybox is static (install busybox-static)"
cp "$TOP/selftests/vm/init" "$ROOT/init"
cp "$TOP/selftests/vm/guest-run.sh" "$ROOT/guest-run.sh"
for f in guest-lib.sh guest-provision.sh guest-recovery.sh; do
	cp "$TOP/selftests/vm/$f" "$ROOT/$f"
done
# the busybox init path of boot-time recovery
mkdir -p "$ROOT/etc/init.d"
cp "$TOP/userspace/boot/chipkey-boot" "$ROOT/etc/init.d/S45chipkey"
if [ "$MODE" = demo ]; then
	cp "$TOP/selftests/vm/guest-demo.sh" "$ROOT/guest-demo.sh"
	mkdir -p "$ROOT/demo"
	cp "$DEMO_DIR/data.bin" "$DEMO_DIR/emu.ckb" "$ROOT/demo/" || die "demo files"
fi
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> "$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOT/etc/group"

# kmod (modprobe with aliases, for the kernel's request_module too)
cp /bin/kmod "$ROOT/sbin/kmod"
for l in modprobe insmod rmmod lsmod depmod modinfo; do ln -sf kmod "$ROOT/sbin/$l"; done

BINS="$ROOT/sbin/kmod"
for t in "$TOP"/build/selftests/*; do
	[ -f "$t" ] && [ -x "$t" ] && cp "$t" "$ROOT/selftests/" && BINS="$BINS $ROOT/selftests/$(basename "$t")"
done
# Every userspace program (CLI, emulator, factory, SPP, pubdb, agent).
for b in "$TOP"/build/bin/*; do
	if [ -f "$b" ] && [ -x "$b" ]; then
		cp "$b" "$ROOT/usr/bin/"
		BINS="$BINS $ROOT/usr/bin/$(basename "$b")"
	fi
done
if [ -x "$TOP/build/bench/ck_bench_dev" ]; then
	cp "$TOP/build/bench/ck_bench_dev" "$ROOT/bench/"
	BINS="$BINS $ROOT/bench/ck_bench_dev"
fi
[ -f "$VEC/backup-v1.txt" ] && cp "$VEC/backup-v1.txt" "$ROOT/usr/share/chipkey/"
cp "$FUSE"/*.bin "$ROOT/lib/firmware/chipkey/"

# shared libraries of every dynamic binary, at their own paths
for b in $BINS; do
	ldd "$b" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]*ld-linux/{print $1}'
done | sort -u | while read -r lib; do
	mkdir -p "$ROOT$(dirname "$lib")"
	cp -L "$lib" "$ROOT$lib"
done
# the dynamic loader at its canonical path
mkdir -p "$ROOT/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$ROOT/lib64/"

# kernel modules: ours in extra/, Debian's crypto + AF_ALG with their deps
MODDIR=lib/modules/$KVER
mkdir -p "$ROOT/$MODDIR/extra"
cp "$TOP/kmod/chipkey.ko" "$TOP/kmod/chipkey_vfuse.ko" "$ROOT/$MODDIR/extra/"
cp "$MODROOT/$MODDIR/modules.order" "$MODROOT/$MODDIR/modules.builtin" \
	"$MODROOT/$MODDIR/modules.builtin.modinfo" "$ROOT/$MODDIR/" 2>/dev/null
WANT="gcm ghash_generic ghash_clmulni_intel ctr aesni_intel aes_generic sha256_ssse3 \
	cryptd crypto_simd algif_aead algif_hash algif_skcipher af_alg crypto_user \
	virtio_pci virtio_blk ext4"
for m in $WANT; do
	modprobe -d "${MODROOT:-/}" -S "$KVER" --show-depends "$m" 2>/dev/null |
		awk '$1=="insmod"{print $2}'
done | sort -u | while read -r ko; do
	rel=${ko#"$MODROOT"}
	mkdir -p "$ROOT$(dirname "$rel")"
	cp "$ko" "$ROOT$rel"
done
depmod -b "$ROOT" "$KVER" >> "$BUILDLOG" 2>&1 || die "depmod for the initramfs"
grep -q 'extra/chipkey.ko:' "$ROOT/$MODDIR/modules.dep" || die "chipkey.ko in modules.dep"

(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0) |
	gzip -1 > "$OUT/initramfs.cpio.gz" || die "pack the initramfs"
note "initramfs $(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB"

# ------------------------------------------------------------------- boot
# qemu_args MODE: the common QEMU command line of a boot in MODE
qemu_args() {
	QEMU_ARGS=(-cpu max -m 1G -smp 2 -nographic -no-reboot -nic none
		-kernel "$KIMG" -initrd "$OUT/initramfs.cpio.gz"
		-append "console=ttyS0 panic=-1 ck_mode=$1")
}
qemu_args "$MODE"
if [ "$MODE" = demo ]; then
	CONSOLE=$OUT/console-$MODE.log TAP=$OUT/tap-$MODE.log
	rm -f "$CONSOLE" "$TAP"
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 "${QEMU_ARGS[@]}" \
		-monitor none -serial file:"$CONSOLE" -serial file:"$TAP" \
		< /dev/null >> "$OUT/qemu.log" 2>&1
	tr -d '\r' < "$TAP" | sed -n '/^\[vm\]/p;/^$/p'
	tr -d '\r' < "$TAP" | sed -n '/^BEGIN-KERNEL-PACKAGE$/,/^END-KERNEL-PACKAGE$/p' |
		sed '1d;$d' | base64 -d > "$DEMO_DIR/kernel.ckb" 2>/dev/null
	[ -s "$DEMO_DIR/kernel.ckb" ] && grep -q '^\[vm\] demo steps in the VM done' "$TAP"
	exit $?
fi
if [ "$MODE" = shell ]; then
	exec qemu-system-x86_64 "${QEMU_ARGS[@]}" -serial mon:stdio -serial file:"$OUT/tap-shell.log"
fi

# vm_boot MODE [QEMU ARGS...]: boot once in MODE (ck_mode=MODE), results of
# the guest and of the kernel log into $RAW.  Logs: console-MODE.log (kernel
# console), tap-MODE.log (the guest's results console).  Results of the
# "test" boot keep their historical names; the others are "MODE: ...".
vm_boot() {
	local mode=$1 pfx='' qrc start elapsed
	shift
	[ "$mode" = test ] || [ "$mode" = bench ] || pfx="$mode: "
	CONSOLE=$OUT/console-$mode.log
	TAP=$OUT/tap-$mode.log
	rm -f "$CONSOLE" "$TAP"
	qemu_args "$mode"
	start=$(date +%s)
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 "${QEMU_ARGS[@]}" "$@" \
		-monitor none -serial file:"$CONSOLE" -serial file:"$TAP" \
		< /dev/null >> "$OUT/qemu.log" 2>&1
	qrc=$?
	elapsed=$(( $(date +%s) - start ))
	note "${pfx}qemu exited with $qrc after ${elapsed}s; console log $CONSOLE, results $TAP"
	touch "$TAP" "$CONSOLE"

	if grep -q '^# chipkey-vm: booted' "$TAP"; then
		ok "${pfx}vm booted ($KVER, TCG)"
	else
		nok "${pfx}vm booted ($KVER, TCG)"
		tail -30 "$CONSOLE" | tr -d '\r' | sed 's/^/# console: /' >> "$RAW"
	fi

	# Guest output -> TAP: guest and kselftest result lines become results
	# (named "suite: test"), everything else becomes a comment; files the
	# guest hands over in base64 (BEGIN-X ... END-X) are left out.
	tr -d '\r' < "$TAP" | awk -v endm="$END_MARKER" '
	function result(okay, desc) { print (okay ? "ok - " : "not ok - ") desc }
	/^BEGIN-[A-Z0-9-]+$/ { blob = 1; nb = 0; name = substr($0, 7); next }
	blob && /^END-[A-Z0-9-]+$/ { blob = 0; print "# (" name ": " nb " lines of base64 for the host)"; next }
	blob { nb++; next }
	/^(not )?ok( [0-9]+)?( |$)/ {
		okay = ($0 !~ /^not /)
		line = $0
		sub(/^(not )?ok( [0-9]+)?( - | |$)/, "", line)
		if (suite == "") { result(okay, line); next }
		got[suite]++
		if (line ~ /^# (SKIP|skip)/)
			line = lastrun " " line
		result(okay, suite ": " line)
		next
	}
	/^# BEGIN / { suite = $3; lastrun = ""; plan[suite] = -1; print; next }
	/^# END / {
		split($4, a, "="); rc = a[2]
		if (rc == "missing")
			result(0, suite ": binary built and present in the VM")
		else {
			if (plan[suite] >= 0 && got[suite] + 0 != plan[suite])
				result(0, suite ": " got[suite] + 0 " of " plan[suite] " planned results reported")
			result(rc == 0 || rc == 4, suite ": exit status " rc)
		}
		suite = ""; print; next
	}
	/^1\.\.[0-9]+/ { if (suite != "") plan[suite] = substr($0, 4) + 0; print "# " $0; next }
	/^#  RUN / { lastrun = $3 }
	$0 == endm { print "# " $0; next }
	/^#/ { print; next }
	/./ { print "# " $0 }
	' >> "$RAW"

	if grep -q "^$END_MARKER" "$TAP"; then
		ok "${pfx}guest test run reached its end marker"
	else
		[ $qrc -eq 124 ] && note "${pfx}timed out after ${TIMEOUT}s"
		nok "${pfx}guest test run reached its end marker"
		tail -40 "$CONSOLE" | tr -d '\r' | sed 's/^/# console: /' >> "$RAW"
	fi
	BAD='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|Call Trace|kernel panic|Kernel panic'
	if tr -d '\r' < "$CONSOLE" | grep -Eq "$BAD"; then
		tr -d '\r' < "$CONSOLE" | grep -E "$BAD" | sort -u | head -20 | sed 's/^/# kernel: /' >> "$RAW"
		nok "${pfx}no BUG/WARN/Oops/general protection/KASAN/UBSAN/Call Trace in kernel log"
	else
		ok "${pfx}no BUG/WARN/Oops/general protection/KASAN/UBSAN/Call Trace in kernel log"
	fi
}

# ----------------------------------------- helpers of the recovery boots
# disks IMG:SERIAL...: QEMU arguments (DISKS) for virtio disks with those
# serials, images in $REC
disks() {
	local i=0 d
	DISKS=()
	for d in "$@"; do
		DISKS+=(-drive "file=$REC/${d%%:*},if=none,id=ck$i,format=raw"
			-device "virtio-blk-pci,drive=ck$i,serial=${d#*:}")
		i=$((i + 1))
	done
}
ckinfo() { # ckinfo MODE KEY: a "# ckinfo KEY VALUE" line of that boot
	tr -d '\r' < "$OUT/tap-$1.log" 2>/dev/null | sed -n "s/^# ckinfo $2 //p" | tail -1
}
ckblob() { # ckblob MODE NAME OUT: a file the guest handed over in base64
	tr -d '\r' < "$OUT/tap-$1.log" 2>/dev/null | sed -n "/^BEGIN-$2\$/,/^END-$2\$/p" |
		sed '1d;$d' | base64 -d > "$3" 2>/dev/null && [ -s "$3" ]
}
# compare_hashes MODE TAG: every item boot 1 hashed (store + keys) has the
# same SHA-256 in the "# ckhash TAG ..." lines of boot MODE
compare_hashes() {
	local mode=$1 tag=$2 n=0 name h1 h2
	while read -r _ _ _ name h1; do
		n=$((n + 1))
		h2=$(tr -d '\r' < "$OUT/tap-$mode.log" | awk -v t="$tag" -v f="$name" \
			'$1 == "#" && $2 == "ckhash" && $3 == t && $4 == f { print $5 }' | tail -1)
		if [ "$h1" != missing ] && [ "$h1" = "$h2" ]; then
			ok "$mode: $name byte-identical to boot 1's"
		else
			nok "$mode: $name byte-identical to boot 1's (boot 1 ${h1:0:16}, now ${h2:0:16})"
		fi
	done < <(tr -d '\r' < "$OUT/tap-provision.log" 2>/dev/null | grep '^# ckhash provision ')
	[ $n -eq 10 ] || nok "$mode: boot 1 hashed its 10 restored items (got $n)"
}
# flip_byte FILE OFFSET: xor one byte with 0x01
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	[ -n "$b" ] && printf '%b' "\\0$(printf '%03o' $((b ^ 1)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Boot 1's certificate, checked with openssl on the host; then the records
# for boot 3 (the "USB stick"): forged with rec-tool and chipkey-factory.
host_after_provision() {
	local B1=$REC/boot1 M=$REC/media fac=$REC/factory-disk/fac rt=$TOP/build/tests/recovery/rec-tool
	local hex id unused other
	mkdir -p "$B1"
	hex=$(ckinfo provision chip) id=$(ckinfo provision identity)
	if ckblob provision DEVICE-CERT "$B1/device-cert.der" && ckblob provision BACKUP "$B1/backup.pkg" &&
	   ckblob provision ARCHIVE "$B1/export.ckpr"; then
		ok "provision: certificate, backup and archive handed to the host"
	else
		nok "provision: certificate, backup and archive handed to the host"
	fi
	openssl x509 -inform DER -in "$B1/device-cert.der" -out "$B1/device-cert.pem" 2>> "$BUILDLOG"
	if openssl verify -CAfile "$fac/mfr-ca.pem" "$B1/device-cert.pem" > "$B1/verify.out" 2>&1; then
		ok "provision: openssl verify -CAfile <manufacturer CA> accepts the device certificate"
	else
		sed 's/^/# /' "$B1/verify.out" >> "$RAW"
		nok "provision: openssl verify -CAfile <manufacturer CA> accepts the device certificate"
	fi
	openssl x509 -in "$B1/device-cert.pem" -noout -text > "$B1/cert.txt" 2>/dev/null
	grep -E 'Subject:|URI:' "$B1/cert.txt" | sed 's/^ */# cert: /' >> "$RAW"
	if [ -n "$id" ] && [ -n "$hex" ] && grep -q "CN = $id" "$B1/cert.txt" &&
	   grep -q "URI:urn:chipkey:chip-id:$hex" "$B1/cert.txt"; then
		ok "provision: openssl x509 -text shows the identity ($id) and chip ID"
	else
		nok "provision: openssl x509 -text shows the identity (${id:-?}) and chip ID (${hex:-?})"
	fi

	has_boot tamper || return 0
	unused=$(grep -vx "$id" "$REC/ids.txt" | tail -1)
	other=$(openssl rand -hex 16)
	rm -rf "$M" && mkdir -p "$M"
	cp "$B1/export.ckpr" "$B1/backup.pkg" "$M/" 2>/dev/null
	forge() {
		cp "$B1/backup.pkg" "$M/tampered.pkg" && flip_byte "$M/tampered.pkg" 200 &&
		"$rt" archive "$hex" 1 "$id" "$M/tampered.pkg" "$B1/device-cert.der" "$M/tampered.ckpr" &&
		"$TOP/build/bin/chipkey-factory" issue "$fac" --identity "$unused" --chip-id "$other" \
			--key-out "$REC/other-key.pem" --out "$REC/other-cert.pem" &&
		openssl x509 -in "$REC/other-cert.pem" -outform DER -out "$REC/other-cert.der" &&
		"$rt" archive "$hex" 1 "$id" "$B1/backup.pkg" "$REC/other-cert.der" "$M/other-device.ckpr" &&
		"$rt" rogue-cert "$id" "$hex" "$REC/rogue.der" &&
		"$rt" archive "$hex" 1 "$id" "$B1/backup.pkg" "$REC/rogue.der" "$M/rogue.ckpr" &&
		"$rt" cert "$fac" "$unused" "$hex" "$REC/other-id.der" &&
		"$rt" archive "$hex" 1 "$id" "$B1/backup.pkg" "$REC/other-id.der" "$M/other-id.ckpr" &&
		"$rt" archive "$other" 1 "$id" "$B1/backup.pkg" "$B1/device-cert.der" "$M/other-chip.ckpr"
	}
	if forge >> "$BUILDLOG" 2>&1 && ! cmp -s "$B1/backup.pkg" "$M/tampered.pkg" && mkdisk "$REC/media.img" 8 "$M"; then
		ok "host: tampered records for boot 3 (flipped byte, another device's certificate, rogue CA, other identity, other chip) on the media disk"
	else
		nok "host: tampered records for boot 3 on the media disk"
		mkdisk "$REC/media.img" 8 "$M"
	fi
}

wipe_flash() { # wipe_flash BOOT: a new, empty filesystem on the flash disk
	if mkdisk "$REC/flash.img" 16; then
		ok "host: flash disk wiped (new ext4) before the $1 boot"
	else
		nok "host: flash disk wiped (new ext4) before the $1 boot"
	fi
}

# ------------------------------------------------------------------ boots
run_start=$(date +%s)
has_boot test && vm_boot test
has_boot bench && vm_boot bench
if has_boot provision; then
	disks flash.img:ckflash factory.img:ckfactory
	vm_boot provision "${DISKS[@]}"
	host_after_provision
fi
if has_boot restore; then
	wipe_flash restore
	disks flash.img:ckflash factory.img:ckfactory
	vm_boot restore "${DISKS[@]}"
	compare_hashes restore restore
fi
if has_boot tamper; then
	wipe_flash tamper
	disks flash.img:ckflash factory.img:ckfactory media.img:ckmedia
	vm_boot tamper "${DISKS[@]}"
	compare_hashes tamper offline
fi
note "boots ($BOOTS) took $(( $(date +%s) - run_start ))s"
finish
