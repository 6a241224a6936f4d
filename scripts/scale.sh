#!/bin/bash
# scale.sh - boot Carto in very large guests and print what it costs.
#
# usage: scripts/scale.sh [SIZE...]      (default: 64G 1T 4T)
#
# Each guest boots with -cpu max,phys-bits=46 (RAM past 1 TiB needs more
# than QEMU's default 40 physical address bits) and a RAM backend with
# reserve=off, so the host commits only what the guest touches. For each
# size it prints the kernel's init time (TSC ticks from kernel entry to the
# end of memory init, from the boot report), the frame allocator's own init
# time and metadata bytes (from its "frames:" line), and the direct-map
# pages. Not part of `make test`: a 4 TiB boot takes minutes under TCG.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(64G 1T 4T)
[ -f "$top/esp/EFI/BOOT/BOOTX64.EFI" ] || make -C "$top" >/dev/null

printf '%-6s %14s %14s %14s %12s %s\n' size kernel-init frames-init meta-bytes bytes/GiB "direct map (1G/2M/4K)"
for size in "${sizes[@]}"; do
	log=$(mktemp)
	start=$(date +%s)
	"$top/scripts/qemu.sh" --mem "$size" --cpu max --phys-bits 46 --timeout 1500 --cmdline framestats \
		--serial-log "$log" >/dev/null 2>&1 &
	qemu=$!
	# The boot phases follow "carto: ready"; their last line ends the wait.
	while kill -0 $qemu 2>/dev/null && ! grep -aq "loader -> kernel entry" "$log"; do sleep 1; done
	kill $qemu 2>/dev/null || true
	wait $qemu 2>/dev/null || true
	secs=$(( $(date +%s) - start ))
	if ! grep -aq "carto: ready" "$log"; then
		echo "$size: no 'carto: ready' (see $log)"
		continue
	fi
	entry=$(grep -aoE 'kernel entry [0-9]+' "$log" | awk '{print $3}' | head -n 1)
	init=$(grep -aoE 'kernel init [0-9]+' "$log" | awk '{print $3}' | head -n 1)
	ftsc=$(grep -aoE 'init_tsc=[0-9]+' "$log" | cut -d= -f2 | head -n 1)
	meta=$(grep -aoE 'meta_bytes=[0-9]+' "$log" | cut -d= -f2 | head -n 1)
	managed=$(grep -aoE 'managed_bytes=[0-9]+' "$log" | cut -d= -f2 | head -n 1)
	dm=$(grep -aoE 'direct map: [0-9a-f]+, [0-9]+ x 1G \+ [0-9]+ x 2M \+ [0-9]+ x 4K' "$log" |
		awk '{print $4 "/" $8 "/" $12}')
	per_gib=$(( meta * 1073741824 / (managed > 0 ? managed : 1) ))
	printf '%-6s %14s %14s %14s %12s %s  (%ss wall)\n' "$size" $((init - entry)) "$ftsc" "$meta" \
		"$per_gib" "$dm" "$secs"
	rm -f "$log"
done
