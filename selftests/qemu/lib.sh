# SPDX-License-Identifier: GPL-2.0
#
# Shared functions of the chipkey QEMU harness, sourced by
# selftests/qemu/run.sh (not run on its own): TAP collection, the debug
# kernel build, the out-of-tree module build, fuse images, the initramfs,
# the QEMU invocation and the reading of what a guest printed.  Everything
# that differs between architectures comes from arch/$ARCH.sh.
#
# Uses the variables run.sh sets: TOP HERE ARCH OUT RAW BUILDLOG TIMEOUT
# BOOTS MAIN_BOOT, and the per-arch facts (QEMU QEMU_MACHINE KERNEL_ARCH
# CROSS_COMPILE CONSOLE TAP_TTY KERNEL_CMDLINE ELF_MACHINE GUEST_MODULES
# BUSYBOX).
# shellcheck shell=bash

END_MARKER=CHIPKEY-VM-RUN-COMPLETE-5b1e
# Kernel reports that fail a boot (x86 and arm64 wording; lockdep's reports
# start with "WARNING:").
KERNEL_BAD='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|Call [Tt]race|Unable to handle|cut here|kernel panic|Kernel panic'

# ------------------------------------------------------------------- TAP
# Results are collected in $RAW as "ok - ..." / "not ok - ..." / "# ..."
# and numbered by finish.
ok() { echo "ok - $*" >> "$RAW"; }
nok() { echo "not ok - $*" >> "$RAW"; }
note() { echo "# $*" >> "$RAW"; }
check() { # check NAME COMMAND...: a result from a command's exit status
	local name=$1
	shift
	if "$@" >> "$BUILDLOG" 2>&1; then ok "$name"; else nok "$name"; fi
}
buildlog_tail() { tail -n "${1:-20}" "$BUILDLOG" | sed 's/^/# /' >> "$RAW"; }

# finish: print $RAW as numbered TAP with its plan, then exit non-zero if
# anything failed.
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
die() { nok "$*"; buildlog_tail 20; finish; }

# ------------------------------------------------------------ host side
require_tools() { # require_tools TOOL...
	local t
	for t in "$@"; do
		command -v "$t" > /dev/null || die "host tool $t present (run scripts/setup-debian.sh)"
	done
}

# debian_kernel: DEB_KVER (e.g. 6.1.0-57-amd64) and DEB_PKGVER, the kernel
# the installed linux-image-amd64 package points at (with CK_VM_KERNEL=6.12:
# linux-image-6.12-amd64).  Every architecture runs Debian's kernel of that
# same version.
debian_kernel() {
	local dep meta=linux-image-amd64
	[ -n "${CK_VM_KERNEL:-}" ] && meta=linux-image-$CK_VM_KERNEL-amd64
	dep=$(dpkg-query -W -f '${Depends}' "$meta" 2> /dev/null)
	DEB_KVER=$(sed -n 's/.*linux-image-\([^ ,]*-amd64\).*/\1/p' <<< "$dep")
	DEB_PKGVER=$(sed -n 's/.*linux-image-[^ ,]*-amd64 (= \([^)]*\)).*/\1/p' <<< "$dep")
	{ [ -n "$DEB_KVER" ] && [ -n "$DEB_PKGVER" ]; } ||
		die "find the kernel version from $meta (installed? scripts/setup-debian.sh)"
}

# ---------------------------------------------------------- debug kernel
# build_debug_kernel: the kernel of debug.config on top of tinyconfig
# (KASAN, UBSAN, lockdep, kmemleak, ...), built out of tree from Debian's
# linux-source-6.1 into $OUT/kernel and reused while the options of
# debug.config stay the same.  Sets KVER KIMG KDIR MODROOT.
# Environment: CK_KSRC (kernel source), JOBS (default nproc).
build_debug_kernel() {
	local dk=$OUT/kernel rel
	[ -n "${DEBUG_KERNEL_IMAGE:-}" ] ||
		die "DEBUG_KERNEL=yes on $ARCH: debug.config is written for x86_64 only"
	mkdir -p "$dk"
	note "debug kernel: build or reuse $dk (log: $dk/build.log)"
	if ! rel=$(debug_kernel_make "$dk" 2> "$dk/progress.log"); then
		sed 's/^/# /' "$dk/progress.log" >> "$RAW"
		die "build the debug kernel (debug.config, linux-source-6.1)"
	fi
	sed 's/^/# /' "$dk/progress.log" >> "$RAW"
	ok "debug kernel $rel built or up to date (KASAN, UBSAN, lockdep, kmemleak)"
	KVER=$rel
	KIMG=$dk/obj/$DEBUG_KERNEL_IMAGE
	KDIR=$dk/obj
	MODROOT=$dk/modroot
}

# debug_kernel_make DIR: prints the kernel release; progress on stderr.
# A subshell with set -e: any failed step ends it.
debug_kernel_make() (
	set -eu
	dk=$1 obj=$1/obj log=$1/build.log frag=$HERE/debug.config
	msg() { echo "debug-kernel: $*" >&2; }
	fail() { msg "$*"; [ -f "$log" ] && tail -30 "$log" >&2; exit 1; }
	ksrc=${CK_KSRC:-/usr/src/linux-source-6.1}
	if [ ! -f "$ksrc/Makefile" ]; then
		tarball=/usr/src/linux-source-6.1.tar.xz
		[ -f "$tarball" ] || fail "no kernel source at $ksrc (apt-get install linux-source-6.1)"
		ksrc=$dk/src/linux-source-6.1
		if [ ! -f "$ksrc/Makefile" ]; then
			msg "unpacking $tarball into $dk/src"
			mkdir -p "$dk/src" && tar -C "$dk/src" -xf "$tarball"
		fi
	fi
	for tool in flex bison bc; do
		command -v $tool > /dev/null || fail "$tool missing (apt-get install flex bison bc libelf-dev)"
	done
	[ -f /usr/include/libelf.h ] || fail "libelf.h missing (apt-get install libelf-dev), objtool needs it"
	kmake() { make -C "$ksrc" O="$obj" ARCH="$KERNEL_ARCH" ${CROSS_COMPILE:+CROSS_COMPILE=$CROSS_COMPILE} "$@"; }

	# The build is keyed on the options of the fragment and the source
	# version, not on file dates: comments may change freely.
	key=$({ grep -E '^(CONFIG_|# CONFIG_)' "$frag"; kmake -s kernelversion 2> /dev/null; echo "$KERNEL_ARCH"; } |
		sha256sum | cut -d' ' -f1)
	exec 8> "$dk/.lock"
	flock 8
	if [ "$(cat "$dk/config.key" 2> /dev/null)" = "$key" ] && [ -f "$obj/$DEBUG_KERNEL_IMAGE" ] &&
	   [ -f "$obj/Module.symvers" ]; then
		rel=$(kmake -s kernelrelease 2> /dev/null)
		if [ -d "$dk/modroot/lib/modules/$rel" ]; then
			msg "up to date: $obj/$DEBUG_KERNEL_IMAGE ($rel)"
			echo "$rel"
			exit 0
		fi
	fi

	rm -f "$dk/config.key"
	: > "$log"
	start=$(date +%s)
	mkdir -p "$obj"
	msg "configuring in $obj"
	kmake tinyconfig >> "$log" 2>&1 || fail "make tinyconfig"
	"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >> "$log" 2>&1 ||
		fail "merge_config.sh"
	kmake olddefconfig >> "$log" 2>&1 || fail "make olddefconfig"
	config_has_fragment "$obj/.config" "$frag" || fail "debug.config options did not all end up in $obj/.config"
	jobs=${JOBS:-$(nproc)}
	msg "building $(basename "$DEBUG_KERNEL_IMAGE") + modules with -j$jobs"
	kmake -j"$jobs" "$(basename "$DEBUG_KERNEL_IMAGE")" modules >> "$log" 2>&1 || fail "make kernel + modules"
	kmake modules_prepare >> "$log" 2>&1 || fail "make modules_prepare"
	rm -rf "$dk/modroot"
	kmake INSTALL_MOD_PATH="$dk/modroot" modules_install >> "$log" 2>&1 || fail "make modules_install"
	rel=$(kmake -s kernelrelease)
	[ -d "$dk/modroot/lib/modules/$rel" ] || fail "modules_install made no $dk/modroot/lib/modules/$rel"
	echo "$key" > "$dk/config.key"
	secs=$(( $(date +%s) - start ))
	echo "$(date -u +%FT%TZ) $rel built in ${secs}s with -j$jobs on $(nproc) CPUs" >> "$dk/build-time.txt"
	msg "built $rel in ${secs}s"
	echo "$rel"
)

# config_has_fragment CONFIG FRAGMENT: every CONFIG_ line of the fragment is
# in the final .config as written ("# CONFIG_X is not set" lines must be
# unset or invisible).
config_has_fragment() {
	local bad=0 line sym want have
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) sym=${line%%=*}; want=$line ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want=$line ;;
		*) continue ;;
		esac
		have=$(grep -E "^($sym=|# $sym is not set)" "$1" || true)
		[ -z "$have" ] && [ "${want#\# }" != "$want" ] && continue
		if [ "$have" != "$want" ]; then
			echo "debug-kernel: config: wanted '$want', got '${have:-<absent>}'" >&2
			bad=1
		fi
	done < "$2"
	return $bad
}

# ---------------------------------------------------------------- module
# build_module: chipkey.ko + chipkey_vfuse.ko against $KDIR, out of tree
# from a copy of the sources in $OUT/kmod-src (kmod/ keeps the host's
# build; mtimes are kept, so an unchanged module is not rebuilt).  Sets
# KO_DIR.
build_module() {
	local src=$OUT/kmod-src vermagic machine
	mkdir -p "$src/kmod"
	rm -rf "$src/include"
	rm -f "$src"/kmod/*.[ch] "$src/kmod/Kbuild"
	{ cp -p "$TOP/Kbuild" "$src/" && cp -pr "$TOP/include" "$src/" &&
		cp -p "$TOP"/kmod/*.[ch] "$TOP/kmod/Kbuild" "$src/kmod/"; } ||
		die "copy the module sources to $src"
	KO_DIR=$src/kmod
	if make -C "$KDIR" M="$src" ARCH="$KERNEL_ARCH" ${CROSS_COMPILE:+CROSS_COMPILE=$CROSS_COMPILE} \
		-j"$(nproc)" modules >> "$BUILDLOG" 2>&1 &&
	   [ -f "$KO_DIR/chipkey.ko" ] && [ -f "$KO_DIR/chipkey_vfuse.ko" ]; then
		ok "build chipkey.ko + chipkey_vfuse.ko for $ARCH against $KVER"
	else
		die "build chipkey.ko + chipkey_vfuse.ko for $ARCH against $KVER"
	fi
	vermagic=$(modinfo -F vermagic "$KO_DIR/chipkey.ko" 2>> "$BUILDLOG")
	machine=$(readelf -h "$KO_DIR/chipkey.ko" 2>> "$BUILDLOG" | sed -n 's/^ *Machine: *//p')
	check "chipkey.ko is for $KVER on $machine (vermagic ${vermagic%% *})" \
		test "${vermagic%% *}" = "$KVER" -a "$machine" = "$ELF_MACHINE"
}

# ----------------------------------------------------------- fuse images
# make_fuse_images: in $FUSE, the manufacturer key pair and four fuse
# images: fuse.bin (chip A), fuse-b.bin (chip B), fuse-zero.bin and
# fuse-ones.bin (unprogrammed keys); with build/bin/chipkey-fuse, else
# with guest/mkfuse.sh.
make_fuse_images() {
	local spec tool derlen
	rm -rf "$FUSE"
	mkdir -p "$FUSE"
	chmod 700 "$FUSE"
	{ openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$FUSE/manufacturer.key" 2>> "$BUILDLOG" &&
	  openssl pkey -in "$FUSE/manufacturer.key" -pubout -outform DER \
		-out "$FUSE/manufacturer.pub.der" 2>> "$BUILDLOG"; } ||
		die "make the manufacturer key (openssl genpkey P-256)"
	for spec in fuse.bin:random fuse-b.bin:random fuse-zero.bin:zero fuse-ones.bin:ones; do
		tool=$(make_fuse_image "$FUSE/${spec%%:*}" "${spec#*:}") ||
			die "make fuse image ${spec%%:*}"
		note "fuse image ${spec%%:*} (${spec#*:} key) made by $tool"
	done
	cmp -s -n 24 "$FUSE/fuse.bin" "$FUSE/fuse-b.bin" && die "fuse images A and B have different chip IDs"
	derlen=$(stat -c %s "$FUSE/manufacturer.pub.der")
	check "fuse image: 512 bytes, CKFUSE01, manufacturer DER at offset 64" \
		test "$(stat -c %s "$FUSE/fuse.bin")" = 512 \
		-a "$(head -c 8 "$FUSE/fuse.bin")" = CKFUSE01 \
		-a "$(tail -c +65 "$FUSE/fuse.bin" | head -c "$derlen" | od -An -tx1 | tr -d ' \n')" = \
		   "$(od -An -tx1 "$FUSE/manufacturer.pub.der" | tr -d ' \n')"
}

make_fuse_image() { # make_fuse_image OUT random|zero|ones: prints the tool used
	local unprogrammed=()
	[ "$2" = random ] || unprogrammed=(--unprogrammed "$2")
	if [ -x "$TOP/build/bin/chipkey-fuse" ] &&
	   "$TOP/build/bin/chipkey-fuse" create "$1" --force \
		--rom-key "$FUSE/manufacturer.pub.der" "${unprogrammed[@]}" >> "$BUILDLOG" 2>&1 &&
	   [ "$(wc -c < "$1")" -eq 512 ]; then
		echo "chipkey-fuse"
		return 0
	fi
	"$HERE/guest/mkfuse.sh" "$1" "$2" "$FUSE/manufacturer.pub.der" >> "$BUILDLOG" 2>&1 &&
		echo "mkfuse.sh"
}

chip_id_hex() { # chip_id_hex FUSE-IMAGE
	tail -c +9 "$1" | head -c 16 | od -An -tx1 | tr -d ' \n'
}

# ------------------------------------------------------------- initramfs
# The guest's root: busybox, the one /init, the guest scripts, the fuse
# images as firmware, our modules and the kernel modules they need.
# The arch adds its programs between initramfs_begin and initramfs_pack.
ROOTFS_DIRS="bin sbin usr/bin usr/sbin usr/share/chipkey lib/firmware/chipkey selftests bench etc/init.d root tmp"

initramfs_begin() {
	local d
	ROOTFS=$OUT/initramfs
	rm -rf "$ROOTFS"
	for d in $ROOTFS_DIRS; do mkdir -p "$ROOTFS/$d"; done
	cp "$BUSYBOX" "$ROOTFS/bin/busybox" 2> /dev/null || die "busybox-static for $ARCH ($BUSYBOX)"
	file -L "$ROOTFS/bin/busybox" 2> /dev/null | grep -q 'dynamically' &&
		die "$BUSYBOX is static (install busybox-static)"
	cp "$HERE/init" "$ROOTFS/init"
	cp "$HERE"/guest/guest-*.sh "$ROOTFS/"
	# flip_byte for the guest scripts (guest-demo.sh)
	cp "$TOP/userspace/common/tests/flip.sh" "$ROOTFS/"
	chmod 755 "$ROOTFS/init" "$ROOTFS"/guest-*.sh
	# the busybox init path of boot-time recovery
	cp "$TOP/userspace/boot/chipkey-boot" "$ROOTFS/etc/init.d/S45chipkey"
	echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOTFS/etc/passwd"
	echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> "$ROOTFS/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOTFS/etc/group"
	cp "$FUSE"/*.bin "$ROOTFS/lib/firmware/chipkey/"
	# the chip of the test vectors (chipkey_vectors_test)
	[ -f "$TOP/docs/test-vectors/fuse-vectors.bin" ] &&
		cp "$TOP/docs/test-vectors/fuse-vectors.bin" "$ROOTFS/lib/firmware/chipkey/"
	[ -f "$TOP/docs/test-vectors/backup-v1.txt" ] &&
		cp "$TOP/docs/test-vectors/backup-v1.txt" "$ROOTFS/usr/share/chipkey/"
	cp "$TOP/docs/test-vectors/sealed-key-v1.txt" "$ROOTFS/usr/share/chipkey/" 2> /dev/null
	initramfs_add_modules
}

# initramfs_add_modules: chipkey.ko and chipkey_vfuse.ko in extra/, plus
# each of $GUEST_MODULES from $MODROOT: a module name with what it depends
# on, or a directory under lib/modules/$KVER copied whole; then depmod.
initramfs_add_modules() {
	local moddir=lib/modules/$KVER item ko rel
	local src=${MODROOT:-}/$moddir
	[ -d "$src" ] || die "kernel modules in $src"
	mkdir -p "$ROOTFS/$moddir/extra"
	cp "$KO_DIR/chipkey.ko" "$KO_DIR/chipkey_vfuse.ko" "$ROOTFS/$moddir/extra/"
	cp "$src"/modules.order "$src"/modules.builtin "$src"/modules.builtin.modinfo \
		"$ROOTFS/$moddir/" 2> /dev/null
	for item in $GUEST_MODULES; do
		case $item in
		*/*)
			[ -d "$src/$item" ] || continue
			mkdir -p "$ROOTFS/$moddir/$(dirname "$item")"
			cp -r "$src/$item" "$ROOTFS/$moddir/$(dirname "$item")/"
			;;
		*)
			modprobe -d "${MODROOT:-/}" -S "$KVER" --show-depends "$item" 2> /dev/null |
				awk '$1 == "insmod" { print $2 }'
			;;
		esac
	done | sort -u | while read -r ko; do
		rel=${ko#"${MODROOT:-}"}
		mkdir -p "$ROOTFS$(dirname "$rel")"
		cp "$ko" "$ROOTFS$rel"
	done
	depmod -b "$ROOTFS" "$KVER" >> "$BUILDLOG" 2>&1 || die "depmod for the initramfs"
	grep -q 'extra/chipkey.ko:' "$ROOTFS/$moddir/modules.dep" || die "chipkey.ko in modules.dep"
}

# initramfs_add_libs FILE...: the shared libraries of dynamic host
# binaries, at their own paths, and the dynamic loader
initramfs_add_libs() {
	local b lib
	for b in "$@"; do
		ldd "$b" 2> /dev/null | awk '/=> \//{print $3} /^\t\/[^ ]*ld-linux/{print $1}'
	done | sort -u | while read -r lib; do
		mkdir -p "$ROOTFS$(dirname "$lib")"
		cp -L "$lib" "$ROOTFS$lib"
	done
}

initramfs_pack() {
	(cd "$ROOTFS" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0) |
		gzip -1 > "$OUT/initramfs.cpio.gz" || die "pack the initramfs"
	ok "initramfs: busybox-static $ARCH, /init, guest scripts, modules + depmod"
	note "initramfs $(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB"
}

# ------------------------------------------------------------------ boot
# Under TCG on a busy 2-core host a vCPU can go unscheduled for many
# seconds; the kernel's watchdogs then report a soft lockup (after 20 s), an
# RCU stall (21 s; 100 s on the debug kernel) or a hung task (120 s), each
# with a Call Trace that fails check_kernel_log, though none of our code
# caused it.  Their thresholds at their maximum: a real hang still shows,
# later, and times the boot out.
WATCHDOG_CMDLINE="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300 sysctl.kernel.hung_task_timeout_secs=600"

# qemu_command MODE: the QEMU command line (QEMU_CMD) of a boot in MODE,
# without its serial ports.  The guest's /init reads ck_mode= and ck_tap=
# (the port for results, if not the console).
qemu_command() {
	QEMU_CMD=("$QEMU" "${QEMU_MACHINE[@]}" -nographic -no-reboot -nic none
		-kernel "$KIMG" -initrd "$OUT/initramfs.cpio.gz"
		-append "console=$CONSOLE $KERNEL_CMDLINE $WATCHDOG_CMDLINE panic=-1 ck_mode=$1${TAP_TTY:+ ck_tap=$TAP_TTY}${CK_ABUSE_N:+ ck_abuse_n=$CK_ABUSE_N}${CK_VM_BOOTBENCH:+ ck_bootbench=$CK_VM_BOOTBENCH}"
		"${ARCH_QEMU_ARGS[@]}")
}

# shell_boot: an interactive busybox shell on the console
shell_boot() {
	qemu_command shell
	exec "${QEMU_CMD[@]}" -serial mon:stdio ${TAP_TTY:+-serial file:"$OUT/tap-shell.log"}
}

# vm_boot MODE: boot once in MODE and turn what the guest and the kernel
# printed into results.  Hooks, when a boot needs them: prepare_boot_MODE
# (host work before; may set BOOT_ARGS, extra QEMU arguments) and
# check_boot_MODE (host checks after).  Logs: console-MODE.log (kernel
# console), tap-MODE.log (results; the console itself when the arch has
# no second port).  Results of the main boot have plain names, the
# others "MODE: ...".
vm_boot() {
	local mode=$1 pfx='' qrc start serial
	[ "$mode" = "$MAIN_BOOT" ] || pfx="$mode: "
	BOOT_ARGS=()
	if declare -F "prepare_boot_$mode" > /dev/null; then "prepare_boot_$mode"; fi
	CONSOLE_LOG=$OUT/console-$mode.log
	TAP_LOG=$(results_log "$mode")
	rm -f "$CONSOLE_LOG" "$TAP_LOG"
	serial=(-serial file:"$CONSOLE_LOG")
	[ "$TAP_LOG" = "$CONSOLE_LOG" ] || serial+=(-serial file:"$TAP_LOG")
	qemu_command "$mode"
	start=$(date +%s)
	timeout --foreground -k 10 "$TIMEOUT" "${QEMU_CMD[@]}" "${BOOT_ARGS[@]}" \
		-monitor none "${serial[@]}" < /dev/null >> "$OUT/qemu.log" 2>&1
	qrc=$?
	note "${pfx}$QEMU exited with $qrc after $(( $(date +%s) - start ))s; console log $CONSOLE_LOG, results $TAP_LOG"
	[ $qrc -eq 124 ] && note "${pfx}timed out after ${TIMEOUT}s (CK_VM_TIMEOUT)"
	strip_cr "$CONSOLE_LOG"
	strip_cr "$TAP_LOG"

	if grep -q '^# chipkey-vm: booted' "$TAP_LOG"; then
		ok "${pfx}vm booted ($KVER, $ARCH, TCG)"
	else
		nok "${pfx}vm booted ($KVER, $ARCH, TCG)"
		tail -30 "$CONSOLE_LOG" | sed 's/^/# console: /' >> "$RAW"
	fi
	guest_results < "$TAP_LOG" >> "$RAW"
	if grep -qx "$END_MARKER" "$TAP_LOG"; then
		ok "${pfx}guest test run reached its end marker"
	else
		nok "${pfx}guest test run reached its end marker"
		tail -40 "$CONSOLE_LOG" | sed 's/^/# console: /' >> "$RAW"
	fi
	# the kernel log's lines about the driver and its fuse providers
	sed -n '/^===== chipkey-vm dmesg =====$/,$p' "$CONSOLE_LOG" | sed 1d |
		grep -E 'chipkey|nvmem|qfprom' | head -20 | sed 's/^/# kernel: /' >> "$RAW"
	check_kernel_log "$mode" "$pfx"
	if declare -F "check_boot_$mode" > /dev/null; then "check_boot_$mode"; fi
}

strip_cr() { # strip_cr FILE: the file without carriage returns
	[ -f "$1" ] || : > "$1"
	tr -d '\r' < "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}

# guest_results < TAP-LOG: the guest's output as results and comments.
# Starts at the guest's first line (a console also holds the boot log)
# and stops at the end marker (after it comes the kernel log).  Result
# lines of the guest and of each kselftest ("# BEGIN name" ... "# END name
# rc=N") become results, named "suite: test"; everything else becomes a
# comment; files handed over in base64 (BEGIN-X ... END-X) are left out.
guest_results() {
	awk -v endm="$END_MARKER" '
	function result(okay, desc) { print (okay ? "ok - " : "not ok - ") desc }
	!started { if (/^# chipkey-vm: booted/) started = 1; else next }
	$0 == endm { print "# " $0; exit }
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
	/^#/ { print; next }
	/./ { print "# " $0 }
	'
}

# results_log MODE: the file holding what the guest of boot MODE printed
results_log() {
	if [ -n "$TAP_TTY" ]; then echo "$OUT/tap-$1.log"; else echo "$OUT/console-$1.log"; fi
}

# What else a guest hands to the host on its results port:
ckinfo() { # ckinfo MODE KEY: a "# ckinfo KEY VALUE" line of that boot
	sed -n "s/^# ckinfo $2 //p" "$(results_log "$1")" 2> /dev/null | tail -1
}

ckblob() { # ckblob MODE NAME OUT: a file the guest handed over in base64
	sed -n "/^BEGIN-$2\$/,/^END-$2\$/p" "$(results_log "$1")" 2> /dev/null |
		sed '1d;$d' | base64 -d > "$3" 2> /dev/null && [ -s "$3" ]
}

# check_kernel_log MODE PREFIX: no kernel report in the console log;
# every report, with the trace after it, is kept in splats-MODE.txt.
check_kernel_log() {
	local splats=$OUT/splats-$1.txt
	if grep -Eq "$KERNEL_BAD" "$CONSOLE_LOG"; then
		grep -E "$KERNEL_BAD" "$CONSOLE_LOG" | sort -u | head -20 | sed 's/^/# kernel: /' >> "$RAW"
		grep -E -B3 -A100 "$KERNEL_BAD" "$CONSOLE_LOG" > "$splats"
		note "kernel reports saved in $splats"
		nok "${2}no BUG/WARN/Oops/general protection/KASAN/UBSAN/Call Trace in kernel log"
	else
		rm -f "$splats"
		ok "${2}no BUG/WARN/Oops/general protection/KASAN/UBSAN/Call Trace in kernel log"
	fi
}

# check_kmemleak_scans: kmemleak's own scan thread (first scan 60 s after
# it starts, then every 10 min) found nothing in any boot's console log.
# Skipped when no boot lasted until that first scan.  (Scans on demand
# are guest-run.sh's.)
check_kmemleak_scans() {
	local desc="debug kernel: no kmemleak-suspected leaks in the console logs" logs
	logs=("$OUT"/console-*.log)
	if [ ! -f "${logs[0]}" ]; then
		ok "$desc # SKIP no console log"
	elif grep -hEq 'kmemleak: [0-9]+ new suspected memory leaks' "${logs[@]}"; then
		grep -hE 'kmemleak: [0-9]+ new suspected' "${logs[@]}" | sed 's/^/# /' >> "$RAW"
		nok "$desc"
	elif ! awk -F'[][]' '
		FNR == 1 { start = -1 }
		/^\[ *[0-9]+\.[0-9]+\]/ {
			t = $2 + 0
			if (start < 0 && /kmemleak: Automatic memory scanning thread started/) start = t
			if (start >= 0 && t >= start + 60) scanned = 1
		}
		END { exit !scanned }' "${logs[@]}"; then
		ok "$desc # SKIP every boot ended before kmemleak's first scan (60 s after it started)"
	else
		ok "$desc"
	fi
}
