#!/usr/bin/env bash
# rss-floor.sh: how low the daemon's RSS can go in issue 10's case:
# `ntphealth run --interval 1s`, /metrics (gzip) and /health scraped every
# second, its chart history kept. Three daemons side by side against one
# private chronyd (lib.sh):
#
#   file      ntphealthd as the Makefile builds it, history in a state
#             directory (history.db), as the unit runs it
#   memory    the same binary, no state directory: the history in memory,
#             SQLite linked but never called
#   nosqlite  built from a copy of this tree with bench/nosqlite.patch
#             (-tags nosqlite): history in memory, SQLite not linked at all
#
# For each: the largest RSS over DURATION with its anonymous and
# file-backed (the executable's pages) parts; then the working set: the
# pages referenced during WINDOW seconds after the referenced bits were
# cleared (/proc/PID/clear_refs 1, then smaps "Referenced";
# Documentation/filesystems/proc.rst). Resident but not referenced is what
# the kernel mapped around the pages touched (fault-around, 64 KiB) or what
# only start-up touched.
#
#   sudo bench/rss-floor.sh                  # 120 s, then a 30 s window
#   DURATION=300 WINDOW=60 sudo bench/rss-floor.sh

. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-120}
WINDOW=${WINDOW:-30}
SAMPLE=${SAMPLE:-5}
root=$(cd "$(dirname "$0")/.." && pwd)

echo "building ..." >&2
build_daemon "$root" "$WORK/ntphealthd"
mkdir "$WORK/src"
(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$WORK/src")
{ (cd "$WORK/src" && git apply "$root/bench/nosqlite.patch") && build_daemon "$WORK/src" "$WORK/ntphealthd-nosqlite" nosqlite; } ||
	{ echo "bench/nosqlite.patch no longer applies to internal/history: bring it up to date" >&2; exit 1; }
(cd "$root" && go build -o "$WORK/agentload" ./bench/agentload)
: >"$WORK/empty.yaml"
start_chronyd

names=(file memory nosqlite)
declare -A pid url rssmax anon file bin
bin[file]=$WORK/ntphealthd bin[memory]=$WORK/ntphealthd bin[nosqlite]=$WORK/ntphealthd-nosqlite
for n in "${names[@]}"; do
	url[$n]=http://127.0.0.1:$(random_port)
	sd=
	[[ $n == file ]] && { sd=$WORK/state; mkdir -m 700 "$sd"; }
	STATE_DIRECTORY=$sd "${bin[$n]}" run --config "$WORK/empty.yaml" --log-format json --chrony "$CHRONY_ADDR" \
		--listen "${url[$n]#http://}" --interval 1s >"$WORK/$n.log" 2>&1 &
	pid[$n]=$!
	BENCH_PIDS+=("${pid[$n]}")
	rssmax[$n]=0
done
"$WORK/agentload" -every 1s -page-every 0 "${url[@]}" >"$WORK/agentload.log" 2>&1 &
load=$!
BENCH_PIDS+=("$load")

echo "== ntphealth run --interval 1s, /metrics and /health every second, against chronyd $CHRONY_ADDR ($NSOURCES sources); ${DURATION} s sampled every ${SAMPLE} s, then a ${WINDOW} s working-set window; $(nproc) CPUs"
alive() { kill -0 "${pid[$1]}" 2>/dev/null || { echo "daemon $1 died:" >&2; cat "$WORK/$1.log" >&2; exit 1; }; }
for ((elapsed = 0; elapsed < DURATION; elapsed += SAMPLE)); do
	sleep "$SAMPLE"
	for n in "${names[@]}"; do
		alive "$n"
		keep_largest_rss "$n" "${pid[$n]}"
	done
done

for n in "${names[@]}"; do echo 1 >"/proc/${pid[$n]}/clear_refs"; done
sleep "$WINDOW"
# smaps_kib PID FIELD EXE prints FIELD (KiB) summed over the mappings of
# the executable EXE, then over the anonymous ones (no path, or [heap]).
smaps_kib() {
	awk -v f="$2:" -v exe="$3" '
		/^[0-9a-f]+-[0-9a-f]+ / { kind = ($6 == exe) ? "exe" : ($6 == "" || $6 == "[heap]") ? "anon" : "other" }
		$1 == f { s[kind] += $2 }
		END { printf "%d %d\n", s["exe"], s["anon"] }' "/proc/$1/smaps"
}
printf "%-9s %-8s %-12s %-9s %-9s %-22s %s\n" daemon "binary" "RSS max MiB" "anon MiB" "file MiB" "executable: ref/res MiB" "anon: ref/res MiB"
for n in "${names[@]}"; do
	alive "$n"
	read -r eres ares < <(smaps_kib "${pid[$n]}" Rss "${bin[$n]}")
	read -r eref aref < <(smaps_kib "${pid[$n]}" Referenced "${bin[$n]}")
	awk -v n="$n" -v b="$(stat -c %s "${bin[$n]}")" -v r="${rssmax[$n]}" -v a="${anon[$n]}" -v f="${file[$n]}" \
		-v eref="$eref" -v eres="$eres" -v aref="$aref" -v ares="$ares" \
		'BEGIN { printf "%-9s %-8s %-12.1f %-9.1f %-9.1f %-22s %.1f / %.1f\n", n, sprintf("%.1f MB", b / 1e6), r / 1024, a / 1024, f / 1024,
			sprintf("%.1f / %.1f", eref / 1024, eres / 1024), aref / 1024, ares / 1024 }'
done
kill -TERM "$load"
wait "$load" || true
cat "$WORK/agentload.log"
for n in "${names[@]}"; do stop_daemon "${pid[$n]}"; done
