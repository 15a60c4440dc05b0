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
#
# pcut: CK_VM_PCUTS times (default 2; `make stress`: 100) a boot that
# provisions a fresh chip of the factory's batch (fuse-pc-I.bin, made by
# pcut_chips), SPP and public database in the guest on the factory disk,
# killed at a random moment within the time a whole provisioning takes in
# this VM after provisioning starts (measured by the previous boot's
# completing run when its cut had left no store, "# pcut-window MS"; the
# first boot: PCUT_MS, 1000 ms): the device's flash store and the SPP's
# databases lose what was not on the disk.  The next boot
# judges chip I's store (none, or healthy and agreeing with what the SPP
# and the public database say of that chip), completes its provisioning
# (a plain rerun of the agent), and cuts chip I+1; a last boot judges and
# completes the last chip.
# shellcheck shell=bash

PCUT_MS=${PCUT_MS:-1000}

pcut_count() { has_boot pcut && echo "${CK_VM_PCUTS:-2}" || echo 0; }

# pcut_chips FACTORY-DIR: the chips of the provisioning cuts, loaded into
# the factory's chip batch (recovery_prepare, before the factory disk is made)
pcut_chips() {
	local i fb=$TOP/build/bin certs=()
	for i in $(seq 1 "$(pcut_count)"); do
		"$fb/chipkey-fuse" create "$FUSE/fuse-pc-$i.bin" --force \
			--rom-key "$1/fac/mfr-pubkey.der" --cert "$REC/chip-pc-$i.pem" \
			--ca-key "$REC/vendor-ca.key" --ca-cert "$REC/vendor-ca.pem" >> "$BUILDLOG" 2>&1 ||
			return 1
		certs+=("$REC/chip-pc-$i.pem")
	done
	[ ${#certs[@]} -eq 0 ] || "$fb/chipkey-factory" load-chips --db "sqlite:$1/factory.db" \
		--chip-ca "$REC/vendor-ca.pem" "${certs[@]}" >> "$BUILDLOG" 2>&1
}

# pcut_run: the provisioning cuts (boots pcut-1 .. pcut-N, then pcut-N+1
# judges and completes the last one without cutting)
pcut_run() {
	local i n armed=0 ms qpid t0 w win=$PCUT_MS
	n=$(pcut_count)
	for i in $(seq 1 $((n + 1))); do
		disks flash.img:ckflash factory.img:ckfactory
		qemu_command "pcut-$i"
		CONSOLE_LOG=$OUT/console-pcut-$i.log TAP_LOG=$OUT/tap-pcut-$i.log
		rm -f "$CONSOLE_LOG" "$TAP_LOG"
		"${QEMU_CMD[@]}" "${BOOT_ARGS[@]}" -monitor none -serial file:"$CONSOLE_LOG" \
			-serial file:"$TAP_LOG" < /dev/null >> "$OUT/qemu.log" 2>&1 &
		qpid=$!
		t0=$(date +%s) ms=
		while ! grep -q -e '^CUT-ARMED' -e '^CHIPKEY-VM-RUN-COMPLETE' "$TAP_LOG" 2> /dev/null; do
			if ! kill -0 "$qpid" 2> /dev/null || [ $(( $(date +%s) - t0 )) -gt "$TIMEOUT" ]; then
				break
			fi
			sleep 0.05
		done
		if [ "$i" -le "$n" ] && grep -q '^CUT-ARMED' "$TAP_LOG" 2> /dev/null; then
			w=$(sed -n 's/^# pcut-window \([0-9]*\)$/\1/p' "$TAP_LOG" | tail -n 1)
			[ -n "$w" ] && [ "$w" -ge 200 ] && win=$w
			ms=$((RANDOM % win))
			sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
			kill -9 "$qpid" 2> /dev/null
			armed=$((armed + 1))
		elif [ "$i" -le "$n" ]; then
			kill -9 "$qpid" 2> /dev/null
		fi
		wait "$qpid" 2> /dev/null
		strip_cr "$TAP_LOG"
		sed 's/^\(\(not \)\{0,1\}ok - \)pcut: /\1pcut '"$i"': /' "$TAP_LOG" | guest_results >> "$RAW"
		[ "$i" -gt "$n" ] && break
		if grep -q '^# pcut: provisioning finished before the cut' "$TAP_LOG"; then
			note "pcut $i: provisioning had finished before the cut (${ms}ms of a ${win}ms window)"
		else
			note "pcut $i: power cut ${ms:-?} ms into the provisioning (window ${win}ms)"
		fi
	done
	check "provisioning power cuts: $armed of $n boots were cut while provisioning" test "$armed" -eq "$n"
	grep -q '^ok - pcut: last chip judged and completed' "$TAP_LOG" 2> /dev/null ||
		nok "pcut $((n + 1)): the last boot judged and completed chip $n"
}

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
