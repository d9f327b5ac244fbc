#!/usr/bin/env bash
# rss-by-feature.sh: where the daemon's RSS comes from, one feature at a
# time. Runs six `ntphealth run --interval 1s` side by side against one
# private chronyd (lib.sh), each with one more part of the service switched
# on, and prints the largest RSS of each with its anonymous and file-backed
# (the executable's pages) parts:
#
#   idle        nothing asks, no push, no state directory (memory only)
#   state       + the history in a state directory (history.db, SQLite)
#   push        + a push every round to a receiver (no state directory)
#   scrape      + GET /metrics (gzip) and /health every second
#   scrapepage  + the status page every 10 s as well
#   all         state, push, scrape and page: bench/daemon.sh's case
#
#   sudo bench/rss-by-feature.sh            # 120 s, sampled every 5 s
#   DURATION=300 sudo bench/rss-by-feature.sh
#
# The daemon is built as the Makefile builds ntphealthd (DAEMON_TAGS);
# bench/agentload serves the push receiver and does the scraping.

. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-120}
SAMPLE=${SAMPLE:-5}
root=$(cd "$(dirname "$0")/.." && pwd)

echo "building ..." >&2
build_daemon "$root" "$WORK/ntphealthd"
(cd "$root" && go build -o "$WORK/agentload" ./bench/agentload)
: >"$WORK/empty.yaml"
start_chronyd

# The push receiver, which scrapes nothing.
"$WORK/agentload" -addr-file "$WORK/receiver" -every 0 -page-every 0 >/dev/null 2>&1 &
BENCH_PIDS+=($!)
for _ in $(seq 100); do [[ -s $WORK/receiver ]] && break; sleep 0.05; done

names=(idle state push scrape scrapepage all)
declare -A pid url rssmax anon file
# start NAME STATE(y/n) PUSH(y/n)
start() {
	local n=$1 state=$2 push=$3 sd=
	url[$n]=http://127.0.0.1:$(random_port)
	local args=(run --config "$WORK/empty.yaml" --log-format json --chrony "$CHRONY_ADDR" --listen "${url[$n]#http://}" --interval 1s)
	[[ $push == y ]] && args+=(--push-url "http://$(cat "$WORK/receiver")/api/push/$n")
	[[ $state == y ]] && { sd=$WORK/state-$n; mkdir -m 700 "$sd"; }
	STATE_DIRECTORY=$sd "$WORK/ntphealthd" "${args[@]}" >"$WORK/$n.log" 2>&1 &
	pid[$n]=$!
	BENCH_PIDS+=("${pid[$n]}")
}
start idle n n
start state y n
start push n y
start scrape n n
start scrapepage n n
start all y y
"$WORK/agentload" -every 1s -page-every 0 "${url[scrape]}" >/dev/null 2>&1 &
BENCH_PIDS+=($!)
"$WORK/agentload" -every 1s -page-every 10s "${url[scrapepage]}" "${url[all]}" >/dev/null 2>&1 &
BENCH_PIDS+=($!)

for n in "${names[@]}"; do rssmax[$n]=0; done
echo "== ntphealth run --interval 1s against chronyd $CHRONY_ADDR ($NSOURCES sources), ${DURATION} s, sampled every ${SAMPLE} s; $(nproc) CPUs"
for ((elapsed = 0; elapsed < DURATION; elapsed += SAMPLE)); do
	sleep "$SAMPLE"
	for n in "${names[@]}"; do
		kill -0 "${pid[$n]}" 2>/dev/null || { echo "daemon $n died:" >&2; cat "$WORK/$n.log" >&2; exit 1; }
		keep_largest_rss "$n" "${pid[$n]}"
	done
done
printf "%-11s %-12s %-9s %s\n" daemon "RSS max MiB" "anon MiB" "file-backed MiB"
for n in "${names[@]}"; do
	awk -v n="$n" -v r="${rssmax[$n]}" -v a="${anon[$n]}" -v f="${file[$n]}" \
		'BEGIN { printf "%-11s %-12.1f %-9.1f %.1f\n", n, r / 1024, a / 1024, f / 1024 }'
done
for n in "${names[@]}"; do stop_daemon "${pid[$n]}"; done
