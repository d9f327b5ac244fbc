// Command probeload measures GET /probe of one `ntphealth run` as Prometheus
// would drive it for a fleet of remote NTP servers: it starts -targets NTP
// responders on loopback (in process, each on its own 127.1.x.y address, so
// every target is a server of its own), then asks /probe?target=ADDR once
// per target per -interval, the requests spread evenly over the interval as
// Prometheus spreads its scrapes (each target at its own offset), with
// Prometheus' X-Prometheus-Scrape-Timeout-Seconds header. It prints the
// latency percentiles, status codes and how many probes succeeded
// (ntp_probe_success 1).
//
//	go run ./bench/probeload -url http://127.0.0.1:9567/probe -targets 1000 -interval 15s -rounds 2
//
// -burst asks for every target at once instead (a worst case that
// Prometheus avoids): /probe runs 64 probes at a time and answers the rest
// 503 at once. It exits 1 when a request failed outright.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/probe/ntpclient/ntptest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "probeload:", err)
		os.Exit(1)
	}
}

// sample is one /probe request.
type sample struct {
	latency time.Duration
	code    int
	success bool // ntp_probe_success 1 in the body
	err     error
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("probeload", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:9567/probe", "the agent's /probe `URL`")
	n := fs.Int("targets", 1000, "number of NTP servers (responders) to probe")
	interval := fs.Duration("interval", 15*time.Second, "scrape interval: each target is probed once per interval")
	rounds := fs.Int("rounds", 2, "intervals to run")
	scrapeTimeout := fs.Duration("scrape-timeout", 10*time.Second, "what the X-Prometheus-Scrape-Timeout-Seconds header says (Prometheus' default)")
	burst := fs.Bool("burst", false, "ask for all targets at once, once, instead of spreading them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 250*200 || *rounds < 1 {
		return errors.New("-targets must be 1..50000 and -rounds at least 1")
	}

	targets := make([]string, *n)
	for i := range targets {
		// 127.1.0.1 .. 127.1.199.250: distinct loopback addresses.
		r, err := ntptest.Listen(fmt.Sprintf("127.1.%d.%d:0", i/250, i%250+1), ntptest.Reply{Stratum: 2, RefID: "192.0.2.1"})
		if err != nil {
			return fmt.Errorf("responder %d: %w", i, err)
		}
		defer r.Close()
		targets[i] = r.Addr()
	}
	client := &http.Client{
		Timeout:   *scrapeTimeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0},
	}
	get := func(target string) sample {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, *base+"?"+url.Values{"target": {target}}.Encode(), nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", fmt.Sprintf("%g", scrapeTimeout.Seconds()))
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return sample{latency: time.Since(start), err: err}
		}
		defer resp.Body.Close()
		s := sample{code: resp.StatusCode}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() == "ntp_probe_success 1" {
				s.success = true
			}
		}
		s.latency = time.Since(start)
		return s
	}

	var mu sync.Mutex
	var samples []sample
	var wg sync.WaitGroup
	record := func(s sample) {
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	start := time.Now()
	if *burst {
		for _, tg := range targets {
			wg.Go(func() { record(get(tg)) })
		}
	} else {
		// Target i is due at offset i*interval/n within each round.
		step := *interval / time.Duration(*n)
		for round := range *rounds {
			for i, tg := range targets {
				due := start.Add(time.Duration(round)*(*interval) + time.Duration(i)*step)
				time.Sleep(time.Until(due))
				wg.Go(func() { record(get(tg)) })
			}
		}
	}
	wg.Wait()
	took := time.Since(start)

	lat := make([]time.Duration, 0, len(samples))
	codes := map[int]int{}
	var failed, success int
	var firstErr error
	for _, s := range samples {
		if s.err != nil {
			failed++
			if firstErr == nil {
				firstErr = s.err
			}
			continue
		}
		codes[s.code]++
		if s.success {
			success++
		}
		lat = append(lat, s.latency)
	}
	slices.Sort(lat)
	mode := fmt.Sprintf("spread over %s, %d round(s)", *interval, *rounds)
	if *burst {
		mode = "all at once"
	}
	fmt.Fprintf(out, "targets     %d NTP servers on loopback, %s: %d requests in %.1f s (%.1f/s)\n",
		*n, mode, len(samples), took.Seconds(), float64(len(samples))/took.Seconds())
	if len(lat) > 0 {
		fmt.Fprintf(out, "latency     p50 %s  p90 %s  p99 %s  max %s\n",
			pct(lat, 50), pct(lat, 90), pct(lat, 99), lat[len(lat)-1])
	}
	fmt.Fprintf(out, "answers     %s; ntp_probe_success 1 in %d of %d\n", formatCodes(codes), success, len(samples))
	if failed > 0 {
		fmt.Fprintf(out, "errors      %d (first: %v)\n", failed, firstErr)
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

// pct is the p-th percentile of sorted latencies (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	i = min(max(i, 1), len(sorted))
	return sorted[i-1].Round(10 * time.Microsecond)
}

func formatCodes(codes map[int]int) string {
	keys := make([]int, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d x%d", k, codes[k])
	}
	return strings.Join(parts, ", ")
}
