#!/usr/bin/env bash
# cache-idle.sh: the daemon's RSS after one look at its status page.
# Starts `ntphealth run --interval 1s` with DAYS days of history in its
# state directory (bench/fillhistory), scraped every second (/metrics with
# gzip and /health, bench/agentload), views the page once (6 h, 48 h and
# 30 d windows) and then never again, and prints RSS every 30 s for MIN
# minutes: the page's caches are let go 10 minutes after the last view
# (internal/history, cacheIdle). BASE=REV runs that revision's daemon side
# by side from the same history.
#
#   sudo bench/cache-idle.sh                   # 30 days, 16 minutes
#   BASE=16c654a MIN=16 sudo bench/cache-idle.sh

. "$(dirname "$0")/lib.sh"

DAYS=${DAYS:-30}
MIN=${MIN:-16}
root=$(cd "$(dirname "$0")/.." && pwd)

echo "building ..." >&2
build_daemon "$root" "$WORK/this"
(cd "$root" && go build -o "$WORK/agentload" ./bench/agentload && go build -o "$WORK/fillhistory" ./bench/fillhistory)
names=(this)
if [[ -n ${BASE:-} ]]; then
	mkdir "$WORK/base-src"
	git -C "$root" archive "$BASE" | tar -x -C "$WORK/base-src"
	build_daemon "$WORK/base-src" "$WORK/base"
	names+=(base)
fi
: >"$WORK/empty.yaml"
start_chronyd
"$WORK/fillhistory" -dir "$WORK/history" -days "$DAYS" -interval 1s >&2

declare -A pid url
for n in "${names[@]}"; do
	url[$n]=http://127.0.0.1:$(random_port)
	mkdir -m 700 "$WORK/state-$n"
	cp "$WORK/history/history.db" "$WORK/state-$n/"
	STATE_DIRECTORY=$WORK/state-$n "$WORK/$n" run --config "$WORK/empty.yaml" --log-format json --chrony "$CHRONY_ADDR" \
		--listen "${url[$n]#http://}" --interval 1s >"$WORK/$n.log" 2>&1 &
	pid[$n]=$!
	BENCH_PIDS+=("${pid[$n]}")
done
"$WORK/agentload" -every 1s -page-every 0 "${url[@]}" >/dev/null 2>&1 &
BENCH_PIDS+=($!)
sleep 30

echo "== ntphealth run --interval 1s with $DAYS days of history, /metrics and /health every second, the page viewed once at t=0; RSS MiB (anonymous)"
view() {
	local n w
	for n in "${names[@]}"; do
		for w in 6h 48h 30d; do
			curl -sS -o /dev/null -w "$1 view, $n, window $w: HTTP %{http_code} in %{time_total} s\n" "${url[$n]}/?window=$w"
		done
	done
}
view first
for ((i = 1; i <= MIN * 2; i++)); do
	sleep 30
	line=$(printf "t=%4d s" $((i * 30)))
	for n in "${names[@]}"; do
		kill -0 "${pid[$n]}" 2>/dev/null || { echo "daemon $n died:" >&2; cat "$WORK/$n.log" >&2; exit 1; }
		line+=$(awk -v n="$n" '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} END {printf "   %s %.1f (%.1f)", n, r / 1024, a / 1024}' "/proc/${pid[$n]}/status")
	done
	echo "$line"
done
view next
for n in "${names[@]}"; do stop_daemon "${pid[$n]}"; done
