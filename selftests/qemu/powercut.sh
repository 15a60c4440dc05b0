# SPDX-License-Identifier: GPL-2.0
#
# Host half of the power-cut boots of the chipkey QEMU harness (x86_64;
# sourced by run.sh; guest half guest/guest-powercut.sh).  After the
# provision boot: CK_VM_CUTS times (default 3; `make stress`: 100) a boot
# that recovers the wiped store from the public database, killed with
# SIGKILL at a random moment 0-1.5 s after the guest starts recovering (a
# power cut: what the guest had not written to its virtio disk is lost);
# each next boot judges what the cut left (no store, or a healthy store
# byte for byte boot 1's; never a corrupt one), and a final boot recovers
# to the end.  Needs the disks of recovery.sh (the provision boot first).
# shellcheck shell=bash

POWERCUT_BOOTS="cut"

powercut_run() {
	has_boot cut || return 0
	local i n=${CK_VM_CUTS:-3} armed=0 done_first=0 ms qpid t0
	for i in $(seq 1 "$n"); do
		disks flash.img:ckflash factory.img:ckfactory
		qemu_command cut
		CONSOLE_LOG=$OUT/console-cut-$i.log TAP_LOG=$OUT/tap-cut-$i.log
		rm -f "$CONSOLE_LOG" "$TAP_LOG"
		"${QEMU_CMD[@]}" "${BOOT_ARGS[@]}" -monitor none -serial file:"$CONSOLE_LOG" \
			-serial file:"$TAP_LOG" < /dev/null >> "$OUT/qemu.log" 2>&1 &
		qpid=$!
		t0=$(date +%s)
		while ! grep -q '^CUT-ARMED' "$TAP_LOG" 2> /dev/null; do
			if ! kill -0 "$qpid" 2> /dev/null || [ $(( $(date +%s) - t0 )) -gt "$TIMEOUT" ]; then
				break
			fi
			sleep 0.05
		done
		if grep -q '^CUT-ARMED' "$TAP_LOG" 2> /dev/null; then
			ms=$((RANDOM % 1500))
			sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
			kill -9 "$qpid" 2> /dev/null
			armed=$((armed + 1))
		else
			kill -9 "$qpid" 2> /dev/null
		fi
		wait "$qpid" 2> /dev/null
		strip_cr "$TAP_LOG"
		sed 's/^ok - cut: /ok - cut '"$i"': /; s/^not ok - cut: /not ok - cut '"$i"': /' "$TAP_LOG" |
			guest_results | grep -v '^# ckhash' >> "$RAW"
		grep -q '^# cut: recovery finished before the cut' "$TAP_LOG" &&
			note "cut $i: the recovery had finished before the cut (${ms}ms)" ||
			note "cut $i: power cut ${ms:-?} ms into the recovery"
		[ $done_first -eq 0 ] && done_first=1
		[ "$i" -gt 1 ] && compare_cut_hashes "$i"
	done
	check "power cuts: $armed of $n boots were cut while recovering" test "$armed" -eq "$n"
	vm_boot cutfinal
}

# compare_cut_hashes I: a healthy store boot I found is boot 1's, byte for byte
compare_cut_hashes() {
	local f="$OUT/tap-cut-$1.log" n
	grep -q '^# ckhash cut ' "$f" || return 0
	n=$(grep '^# ckhash cut ' "$f" | while read -r _ _ _ name h; do
		grep -q "^# ckhash provision $name $h\$" "$(results_log provision)" || echo "$name"
	done | wc -l)
	check "cut $1: the store the cut left is boot 1's, byte for byte" test "$n" -eq 0
}

prepare_boot_cutfinal() { disks flash.img:ckflash factory.img:ckfactory; }
check_boot_cutfinal() { compare_hashes cutfinal final; }
