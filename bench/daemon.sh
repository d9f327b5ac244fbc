#!/usr/bin/env bash
# daemon.sh: memory and CPU of `ntphealth run` in service: pushing to a
# Kuma receiver every round, keeping its history in a state directory (as
# the unit's StateDirectory= does), and scraped like a Prometheus target.
#
#   sudo bench/daemon.sh                            # 180 s, intervals 1s and 10s
#   BASE=main~8 DURATION=300 sudo bench/daemon.sh   # and that revision's, side by side
#
# Builds the daemon (ntphealthd: ./cmd/ntphealth with the Makefile's
# DAEMON_TAGS, as `make build` does) from this tree, and with BASE=REV from
# that git revision too (with its Makefile's DAEMON_TAGS, if any), and bench/agentload,
# which serves the push receiver and scrapes: GET /metrics (gzip, as
# Prometheus asks) and /health every SCRAPE seconds, / every PAGE seconds
# (0 turns either off). Starts a private chronyd (lib.sh: "local stratum 2"
# and NSOURCES unanswered loopback servers), then one daemon per build and
# interval, all side by side. After WARMUP seconds it reads every SAMPLE
# seconds VmRSS, RssAnon and RssFile (/proc/PID/status) and the CPU time of
# the daemon's threads (/proc/PID/task/*/schedstat), and prints the largest
# RSS with its split, and the CPU time extrapolated to an hour and to a
# share of one core.
#
# With HISTORY_DAYS=N each daemon starts with N days of made-up history in
# its state directory (bench/fillhistory: every round of the last 48 h at
# its interval, a round a minute before), as a daemon that has run that
# long holds it.
#
# Environment: DURATION (180), INTERVALS ("1s 10s"), SCRAPE (1), PAGE (10),
# WARMUP (30), SAMPLE (5), BASE (a git revision), NSOURCES (4),
# HISTORY_DAYS (none).

. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-180}
INTERVALS=${INTERVALS:-"1s 10s"}
SCRAPE=${SCRAPE:-1}
PAGE=${PAGE:-10}
WARMUP=${WARMUP:-30}
SAMPLE=${SAMPLE:-5}
root=$(cd "$(dirname "$0")/.." && pwd)

echo "building ..." >&2
build_daemon "$root" "$WORK/ntphealthd"
(cd "$root" && go build -o "$WORK/agentload" ./bench/agentload)
[[ -n ${HISTORY_DAYS:-} ]] && (cd "$root" && go build -o "$WORK/fillhistory" ./bench/fillhistory)
builds=(this)
declare -A bin
bin[this]=$WORK/ntphealthd
if [[ -n ${BASE:-} ]]; then
	mkdir "$WORK/base"
	git -C "$root" archive "$BASE" | tar -x -C "$WORK/base"
	build_daemon "$WORK/base" "$WORK/ntphealthd-base"
	builds+=(base)
	bin[base]=$WORK/ntphealthd-base
fi
: >"$WORK/empty.yaml"
start_chronyd

declare -A listen
names=()
for b in "${builds[@]}"; do
	for iv in $INTERVALS; do
		names+=("$b-$iv")
		listen[$b-$iv]=127.0.0.1:$(random_port)
	done
done
# The history first: agentload starts scraping at once, and a daemon not
# yet started would count as errors.
if [[ -n ${HISTORY_DAYS:-} ]]; then
	for iv in $INTERVALS; do
		"$WORK/fillhistory" -dir "$WORK/history-$iv" -days "$HISTORY_DAYS" -interval "$iv" >&2
	done
fi
urls=()
for n in "${names[@]}"; do urls+=("http://${listen[$n]}"); done
"$WORK/agentload" -addr-file "$WORK/receiver" -every "${SCRAPE}s" -page-every "${PAGE}s" "${urls[@]}" >"$WORK/agentload.out" 2>&1 &
load_pid=$!
BENCH_PIDS+=("$load_pid")
for _ in $(seq 100); do [[ -s $WORK/receiver ]] && break; sleep 0.05; done

declare -A pid t0 rssmax anon file
for n in "${names[@]}"; do
	b=${n%%-*} iv=${n#*-}
	mkdir -m 700 "$WORK/state-$n"
	[[ -n ${HISTORY_DAYS:-} ]] && cp "$WORK/history-$iv/history.db" "$WORK/state-$n/"
	STATE_DIRECTORY=$WORK/state-$n "${bin[$b]}" run --config "$WORK/empty.yaml" --log-format json \
		--chrony "$CHRONY_ADDR" --listen "${listen[$n]}" --interval "$iv" \
		--push-url "http://$(cat "$WORK/receiver")/api/push/$n" >"$WORK/$n.log" 2>&1 &
	pid[$n]=$!
	BENCH_PIDS+=("${pid[$n]}")
done
sleep "$WARMUP"
for n in "${names[@]}"; do
	kill -0 "${pid[$n]}" || { echo "daemon $n died:" >&2; cat "$WORK/$n.log" >&2; exit 1; }
	t0[$n]=$(cpu_ns "${pid[$n]}")
	rssmax[$n]=0
done
start=$(date +%s.%N)
every() { if (($1 > 0)); then echo "every $1 s"; else echo never; fi; }
echo "== ntphealth run against chronyd $CHRONY_ADDR ($NSOURCES sources), a push every round, /metrics and /health $(every "$SCRAPE"), / $(every "$PAGE"); ${DURATION} s after ${WARMUP} s of warm-up, sampled every ${SAMPLE} s; $(nproc) CPUs"
for ((elapsed = 0; elapsed < DURATION; elapsed += SAMPLE)); do
	sleep "$SAMPLE"
	for n in "${names[@]}"; do
		keep_largest_rss "$n" "${pid[$n]}"
	done
done
end=$(date +%s.%N)
printf "%-10s %-12s %-9s %-13s %-9s %-11s %-11s %s\n" daemon "RSS max MiB" "anon MiB" "file-backed" "CPU s" "CPU s/hour" "% of a core" "CPU ms/round"
for n in "${names[@]}"; do
	ns=$(($(cpu_ns "${pid[$n]}") - t0[$n]))
	iv=${n#*-}
	awk -v n="$n" -v rmax="${rssmax[$n]}" -v a="${anon[$n]}" -v f="${file[$n]}" -v t="$ns" -v d="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" -v secs="${iv%s}" \
		'BEGIN { printf "%-10s %-12.1f %-9.1f %-13.1f %-9.3f %-11.2f %-11.4f %.2f\n", n, rmax / 1024, a / 1024, f / 1024, t / 1e9, t / 1e9 * 3600 / d, t / 1e9 / d * 100, t / 1e6 / (d / secs) }'
done
for n in "${names[@]}"; do
	stop_daemon "${pid[$n]}"
done
kill -TERM "$load_pid"
wait "$load_pid" || true
cat "$WORK/agentload.out"
