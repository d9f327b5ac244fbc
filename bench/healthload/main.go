// Command healthload measures an HTTP endpoint (ntphealth's /health) under
// load: N GET requests spread over C keep-alive connections, each request
// with a deadline. It prints requests per second, latency percentiles,
// status codes, errors and how many connections were opened.
//
//	go run ./bench/healthload -url http://127.0.0.1:9567/health -n 50000 -c 20
//
// It exits 1 when any request failed (a transport error or a code not in
// -ok), so a script can tell a clean run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "healthload:", err)
		os.Exit(1)
	}
}

// result is what one worker saw.
type result struct {
	latencies []time.Duration
	codes     map[int]int
	errs      int
	firstErr  error
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("healthload", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:9567/health", "`URL` to GET")
	n := fs.Int("n", 50000, "number of requests")
	c := fs.Int("c", 20, "number of keep-alive connections (one worker each)")
	timeout := fs.Duration("timeout", 5*time.Second, "deadline of one request")
	okCodes := fs.String("ok", "200,503", "status codes that count as an answer (/health says 503 when CRITICAL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *c < 1 {
		return errors.New("-n and -c must be at least 1")
	}
	ok := map[int]bool{}
	for _, s := range strings.Split(*okCodes, ",") {
		code, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-ok %q: %w", *okCodes, err)
		}
		ok[code] = true
	}

	var dials atomic.Int64
	tr := &http.Transport{
		MaxIdleConnsPerHost: *c,
		MaxConnsPerHost:     *c,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: *timeout}

	// A first request fails fast on a wrong URL instead of N times.
	if resp, err := client.Get(*url); err != nil {
		return fmt.Errorf("first request: %w (is the daemon running and listening there?)", err)
	} else {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	results := make([]result, *c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *c {
		wg.Go(func() {
			r := result{codes: map[int]int{}, latencies: make([]time.Duration, 0, *n / *c + 1)}
			for i := w; i < *n; i += *c {
				t0 := time.Now()
				resp, err := client.Get(*url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				r.latencies = append(r.latencies, time.Since(t0))
				if err != nil {
					r.errs++
					if r.firstErr == nil {
						r.firstErr = err
					}
					continue
				}
				r.codes[resp.StatusCode]++
				if !ok[resp.StatusCode] {
					r.errs++
				}
			}
			results[w] = r
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	codes := map[int]int{}
	errs := 0
	var firstErr error
	for _, r := range results {
		all = append(all, r.latencies...)
		for k, v := range r.codes {
			codes[k] += v
		}
		errs += r.errs
		if firstErr == nil {
			firstErr = r.firstErr
		}
	}
	slices.Sort(all)
	fmt.Fprintf(out, "requests    %d over %d connections (%d opened) in %.3f s\n", *n, *c, dials.Load(), elapsed.Seconds())
	fmt.Fprintf(out, "throughput  %.0f req/s\n", float64(*n)/elapsed.Seconds())
	fmt.Fprintf(out, "latency     p50 %s  p90 %s  p99 %s  max %s\n",
		pct(all, 50), pct(all, 90), pct(all, 99), all[len(all)-1].Round(time.Microsecond))
	fmt.Fprintf(out, "status      %s\n", formatCodes(codes))
	fmt.Fprintf(out, "errors      %d\n", errs)
	if errs > 0 {
		return fmt.Errorf("%d of %d requests failed (first transport error: %v)", errs, *n, firstErr)
	}
	return nil
}

// pct is the p-th percentile of sorted latencies (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	i = min(max(i-1, 0), len(sorted)-1)
	return sorted[i].Round(time.Microsecond)
}

func formatCodes(codes map[int]int) string {
	keys := make([]int, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d×%d", k, codes[k])
	}
	return strings.Join(parts, " ")
}
