#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Devicetree checks for chipkey: validates the binding (dts/chipkey,device-key.yaml)
# with dt-schema, compiles the example board, base board and overlay with dtc,
# applies the overlay with fdtoverlay, validates every result against the
# binding, and checks that the binding rejects broken descriptions.
#
# Output is TAP only.  Exit status is non-zero if any test failed.
# Artifacts: build/dts/ at the top of the repository.
#
# Tools: dtc, fdtoverlay, fdtget (package device-tree-compiler) and
# dt-doc-validate, dt-mk-schema, dt-validate, dt-extract-example (package
# dt-schema).  A test whose tool is missing is reported as skipped.

set -u

DTS_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$DTS_DIR/.." && pwd)
OUT=$TOP/build/dts
FUSE_H=$TOP/include/chipkey/fuse_image.h

mkdir -p "$OUT" || { echo "not ok 1 - create $OUT"; exit 1; }
rm -f "$OUT"/*.dtb "$OUT"/*.dtbo "$OUT"/*.dts "$OUT"/*.log "$OUT"/*.json

n=0
failed=0

ok()     { n=$((n + 1)); echo "ok $n - $1"; }
notok()  { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
skip()   { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# Print a file as TAP diagnostics.
diag()   { [ -s "$1" ] && sed 's/^/# /' "$1"; return 0; }

have() { command -v "$1" >/dev/null 2>&1; }

HAVE_DTC=1
for t in dtc fdtoverlay fdtget; do
	have "$t" || { HAVE_DTC=0; echo "# $t not found (install device-tree-compiler)"; }
done
HAVE_SCHEMA=1
for t in dt-doc-validate dt-mk-schema dt-validate dt-extract-example; do
	have "$t" || { HAVE_SCHEMA=0; echo "# $t not found (install dt-schema)"; }
done
DTC_MISSING="device-tree-compiler not installed"
SCHEMA_MISSING="dt-schema not installed"

# run NAME LOG CMD...: passes if CMD exits 0 and prints nothing (dtc
# warnings and dt-validate errors both only show up as output; dt-validate
# exits 0 even when a node fails its schema).
run() {
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1 && [ ! -s "$log" ]; then
		ok "$name"
	else
		notok "$name"
		diag "$log"
	fi
}

# compile NAME OUT SRC [dtc options]: dtc, warnings clean.
compile() {
	local name=$1 out=$2 src=$3
	shift 3
	if [ $HAVE_DTC = 0 ]; then skip "$name" "$DTC_MISSING"; return; fi
	run "$name" "$out.log" dtc -i "$DTS_DIR" "$@" -I dts -O dtb -o "$out" "$src"
}

# validate NAME DTB: the dtb matches every schema that selects its nodes.
validate() {
	local name=$1 dtb=$2
	if [ $HAVE_SCHEMA = 0 ]; then skip "$name" "$SCHEMA_MISSING"; return; fi
	if [ ! -s "$dtb" ] || [ ! -s "$OUT/processed-schema.json" ]; then
		notok "$name"; echo "# missing $dtb or processed schema"; return
	fi
	run "$name" "$dtb.validate.log" dt-validate -s "$OUT/processed-schema.json" "$dtb"
}

# ---------------------------------------------------------------- schemas
SCHEMAS=("$DTS_DIR/chipkey,device-key.yaml" "$DTS_DIR"/example-schemas/*.yaml)
for s in "${SCHEMAS[@]}"; do
	name="dt-doc-validate ${s#"$DTS_DIR"/}"
	if [ $HAVE_SCHEMA = 0 ]; then skip "$name" "$SCHEMA_MISSING"; continue; fi
	run "$name" "$OUT/$(basename "$s" .yaml).doc.log" \
		dt-doc-validate -u "$DTS_DIR" "$s"
done

# The processed schema: dt-schema's core schemas + the binding + the local
# example schemas (see docs/devicetree.md).  dt-mk-schema treats a single
# file argument as an already processed schema, so pass the directory.
if [ $HAVE_SCHEMA = 0 ]; then
	skip "dt-mk-schema processed schema includes chipkey,device-key" "$SCHEMA_MISSING"
else
	if dt-mk-schema -j -o "$OUT/processed-schema.json" "$DTS_DIR" \
		>"$OUT/mk-schema.log" 2>&1 && [ ! -s "$OUT/mk-schema.log" ] &&
	   grep -q '"http://devicetree.org/schemas/chipkey,device-key.yaml#"' \
		"$OUT/processed-schema.json"; then
		ok "dt-mk-schema processed schema includes chipkey,device-key"
	else
		notok "dt-mk-schema processed schema includes chipkey,device-key"
		diag "$OUT/mk-schema.log"
	fi
fi

# Examples embedded in the schemas compile and validate.
for s in "${SCHEMAS[@]}"; do
	b=$(basename "$s" .yaml)
	if ! grep -q '^examples:' "$s"; then
		echo "# $b has no examples"
		continue
	fi
	if [ $HAVE_SCHEMA = 0 ] || [ $HAVE_DTC = 0 ]; then
		skip "example of $b compiles" "dtc or dt-schema not installed"
		skip "example of $b validates" "dtc or dt-schema not installed"
		continue
	fi
	dt-extract-example "$s" >"$OUT/$b.example.dts" 2>"$OUT/$b.extract.log"
	compile "example of $b compiles" "$OUT/$b.example.dtb" "$OUT/$b.example.dts"
	validate "example of $b validates" "$OUT/$b.example.dtb"
done

# ---------------------------------------------------------------- boards
compile "dtc example-board.dts" "$OUT/example-board.dtb" "$DTS_DIR/example-board.dts"
validate "example-board.dtb validates against the binding" "$OUT/example-board.dtb"

compile "dtc -@ example-board-base.dts" "$OUT/example-board-base.dtb" \
	"$DTS_DIR/example-board-base.dts" -@
validate "example-board-base.dtb validates" "$OUT/example-board-base.dtb"

compile "dtc -@ chipkey-overlay.dtso" "$OUT/chipkey-overlay.dtbo" \
	"$DTS_DIR/chipkey-overlay.dtso" -@

name="fdtoverlay applies chipkey-overlay.dtbo to example-board-base.dtb"
if [ $HAVE_DTC = 0 ]; then
	skip "$name" "$DTC_MISSING"
else
	run "$name" "$OUT/overlaid.log" fdtoverlay -i "$OUT/example-board-base.dtb" \
		-o "$OUT/example-board-overlaid.dtb" "$OUT/chipkey-overlay.dtbo"
fi
validate "overlaid board validates against the binding" "$OUT/example-board-overlaid.dtb"

# The same board against the Linux kernel's own bindings (which have the
# real nvmem consumer schema) instead of dts/example-schemas/.
KBIND=${KERNEL_BINDINGS:-/usr/src/linux-source-6.1/Documentation/devicetree/bindings}
name="example-board.dtb validates with the kernel's bindings + chipkey,device-key.yaml"
if [ $HAVE_SCHEMA = 0 ]; then
	skip "$name" "$SCHEMA_MISSING"
elif [ ! -d "$KBIND/nvmem" ]; then
	skip "$name" "no kernel bindings at $KBIND (apt-get install linux-source-6.1, unpack it)"
elif ! dt-mk-schema -j -o "$OUT/kernel-schema.json" "$KBIND" "$DTS_DIR/chipkey,device-key.yaml" \
	>"$OUT/kernel-schema.log" 2>&1; then
	notok "$name"
	diag "$OUT/kernel-schema.log"
else
	run "$name" "$OUT/kernel-validate.log" \
		dt-validate -s "$OUT/kernel-schema.json" "$OUT/example-board.dtb"
fi

# ------------------------------------------------- cells match the fuse map
# The example boards put the cells where the virtual fuse image has them
# (include/chipkey/fuse_image.h), so an image can fill a test OTP.  Resolve
# each nvmem-cells phandle to its node and compare the node's reg.
hdr() {
	local v
	v=$(sed -n "s/^#define[[:space:]]\\{1,\\}$1[[:space:]]\\{1,\\}\\([0-9a-fA-Fx]\\{1,\\}\\).*/\\1/p" "$FUSE_H")
	[ -n "$v" ] && printf '%d' "$v"
}

# cells_ok DTB OTP_PATH: prints diagnostics, returns 0 if all cells match.
cells_ok() {
	local dtb=$1 otp=$2 node ph names want_name i
	local -A byph=()
	local -a phs regs exp_off exp_len
	exp_off=("$(hdr CK_FUSE_OFF_CHIP_ID)" "$(hdr CK_FUSE_OFF_CHIP_KEY)" "$(hdr CK_FUSE_OFF_ROM_KEY)")
	exp_len=(16 32 "$(hdr CK_FUSE_ROM_KEY_SIZE)")
	[ "$(fdtget "$dtb" /chipkey compatible)" = "chipkey,device-key" ] ||
		{ echo "/chipkey: wrong or missing compatible"; return 1; }
	for node in $(fdtget -l "$dtb" "$otp"); do
		ph=$(fdtget -t u "$dtb" "$otp/$node" phandle 2>/dev/null) || continue
		byph[$ph]=$node
	done
	read -r -a phs <<<"$(fdtget -t u "$dtb" /chipkey nvmem-cells)"
	names=$(fdtget "$dtb" /chipkey nvmem-cell-names)
	[ "$names" = "chip-id chip-key rom-key" ] ||
		{ echo "nvmem-cell-names is '$names'"; return 1; }
	[ ${#phs[@]} -eq 3 ] || { echo "nvmem-cells has ${#phs[@]} entries"; return 1; }
	i=0
	for want_name in chip-id chip-key rom-key; do
		node=${byph[${phs[$i]}]:-}
		[ -n "$node" ] || { echo "$want_name: phandle ${phs[$i]} is not a cell of $otp"; return 1; }
		read -r -a regs <<<"$(fdtget -t u "$dtb" "$otp/$node" reg)"
		if [ "${regs[0]:-}" != "${exp_off[$i]}" ] || [ "${regs[1]:-}" != "${exp_len[$i]}" ]; then
			echo "$want_name -> $node: reg <${regs[*]}>, fuse_image.h says <${exp_off[$i]} ${exp_len[$i]}>"
			return 1
		fi
		i=$((i + 1))
	done
	return 0
}

for dtb in example-board example-board-overlaid; do
	name="$dtb.dtb: chipkey cells resolve to the fuse_image.h offsets"
	if [ $HAVE_DTC = 0 ]; then skip "$name" "$DTC_MISSING"; continue; fi
	if [ -s "$OUT/$dtb.dtb" ] && cells_ok "$OUT/$dtb.dtb" /soc@0/efuse@9000000 >"$OUT/$dtb.cells.log" 2>&1; then
		ok "$name"
	else
		notok "$name"
		diag "$OUT/$dtb.cells.log"
	fi
done

# ------------------------------------------------------------ variants
# Each variant is example-board.dts plus a change.  "good" ones must
# validate cleanly; "bad" ones must compile but be rejected by the binding
# (or by the local provider schema), with a message naming the node.
ECDSA_SPKI='30 59 30 13 06 07 2a 86 48 ce 3d 02 01 06 08 2a 86 48 ce 3d 03 01 07 03 42 00 04'
variant() {
	local kind=$1 tag=$2 what=$3 change=$4 src dtb log
	src=$OUT/variant-$tag.dts
	dtb=$OUT/variant-$tag.dtb
	log=$OUT/variant-$tag.log
	printf '/dts-v1/;\n/include/ "example-board.dts"\n\n%s\n' "$change" >"$src"
	if [ $HAVE_DTC = 0 ] || [ $HAVE_SCHEMA = 0 ]; then
		skip "$kind: $what" "dtc or dt-schema not installed"
		return
	fi
	if ! dtc -q -i "$DTS_DIR" -I dts -O dtb -o "$dtb" "$src" >"$log" 2>&1; then
		notok "$kind: $what (does not compile)"
		diag "$log"
		return
	fi
	dt-validate -s "$OUT/processed-schema.json" "$dtb" >"$log" 2>&1
	if [ "$kind" = accepted ]; then
		if [ ! -s "$log" ]; then ok "$kind: $what"; else notok "$kind: $what"; diag "$log"; fi
	else
		if grep -q "$5" "$log"; then
			ok "$kind: $what"
		else
			notok "$kind: $what"
			echo "# expected a dt-validate error mentioning '$5'"
			diag "$log"
		fi
	fi
}

variant accepted two-cells-rom-prop "chip-id + chip-key cells with chipkey,rom-key property" \
	"&chipkey { nvmem-cells = <&chip_id>, <&chip_key>; nvmem-cell-names = \"chip-id\", \"chip-key\"; chipkey,rom-key = [$ECDSA_SPKI]; };"
variant rejected no-rom-key "no rom-key cell and no chipkey,rom-key property" \
	'&chipkey { nvmem-cells = <&chip_id>, <&chip_key>; nvmem-cell-names = "chip-id", "chip-key"; };' "'chipkey,rom-key' is a required property"
variant accepted virtual-fuse "chipkey,virtual-fuse flag" \
	'&chipkey { chipkey,virtual-fuse; };'
variant rejected names-order "cell names out of order" \
	'&chipkey { nvmem-cell-names = "chip-key", "chip-id", "rom-key"; };' "nvmem-cell-names:0: 'chip-id' was expected"
variant rejected no-key "chip-key cell missing" \
	'&chipkey { nvmem-cells = <&chip_id>; nvmem-cell-names = "chip-id"; };' "nvmem-cells: .* is too short"
variant rejected no-names "nvmem-cell-names missing" \
	'&chipkey { /delete-property/ nvmem-cell-names; };' "'nvmem-cell-names' is a required property"
variant rejected no-cells "nvmem-cells and nvmem-cell-names missing" \
	'&chipkey { /delete-property/ nvmem-cells; /delete-property/ nvmem-cell-names; };' "'nvmem-cells' is a required property"
variant rejected wrong-compatible "wrong compatible string" \
	'&chipkey { compatible = "chipkey,device-key", "chipkey,other"; };' "compatible: .* is too long"
variant rejected unknown-prop "unknown property" \
	'&chipkey { chipkey,chip-key = [00 01]; };' "'chipkey,chip-key' does not match any"
variant rejected rom-both "rom-key cell and chipkey,rom-key property together" \
	"&chipkey { chipkey,rom-key = [$ECDSA_SPKI]; };" "chipkey,rom-key: False schema does not allow"
variant rejected rom-short "chipkey,rom-key shorter than any DER key" \
	'&chipkey { nvmem-cells = <&chip_id>, <&chip_key>; nvmem-cell-names = "chip-id", "chip-key"; chipkey,rom-key = [30 59]; };' "chipkey,rom-key: .* conditional failed"
LONG=$(for i in $(seq 449); do printf '00 '; done)
variant rejected rom-long "chipkey,rom-key longer than the 448-byte ROM region" \
	"&chipkey { nvmem-cells = <&chip_id>, <&chip_key>; nvmem-cell-names = \"chip-id\", \"chip-key\"; chipkey,rom-key = [$LONG]; };" "chipkey,rom-key: .* conditional failed"
variant rejected virtual-fuse-value "chipkey,virtual-fuse with a value" \
	'&chipkey { chipkey,virtual-fuse = <1>; };' "chipkey,virtual-fuse: .* is not of type 'boolean'"
variant rejected cell-no-reg "provider cell without reg" \
	'&chip_key { /delete-property/ reg; };' "'reg' is a required property"

echo "# dts: $n tests, $failed failed; artifacts in ${OUT#"$TOP"/}"
[ $failed -eq 0 ]
