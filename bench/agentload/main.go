// Command agentload is what a daemon in service sees, for bench/daemon.sh:
// a push receiver that answers like Uptime Kuma's push API, and a scraper
// that asks each daemon for /metrics (gzip, as Prometheus does) and /health
// every -every, and for the status page every -page-every.
//
//	agentload -addr-file FILE -every 1s -page-every 10s http://127.0.0.1:9567 ...
//
// It writes the receiver's address (host:port) to -addr-file, runs until
// SIGTERM or SIGINT, then prints per daemon the requests made, the errors
// and the pushes received.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "agentload:", err)
		os.Exit(1)
	}
}

func run() error {
	addrFile := flag.String("addr-file", "", "file to write the push receiver's host:port to")
	every := flag.Duration("every", time.Second, "scrape /metrics and /health this often (0: never)")
	pageEvery := flag.Duration("page-every", 10*time.Second, "GET / this often (0: never)")
	flag.Parse()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var mu sync.Mutex
	pushes := map[string]int{}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		pushes[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})}
	go srv.Serve(ln)
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	type count struct {
		requests, errors int
		why              map[string]int // an error's path and cause: how many
	}
	counts := make([]count, flag.NArg())
	var wg sync.WaitGroup
	for i, base := range flag.Args() {
		get := func(path string, gzip bool) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
			if gzip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			resp, err := client.Do(req)
			mu.Lock()
			defer mu.Unlock()
			counts[i].requests++
			failed := func(why string) {
				counts[i].errors++
				if counts[i].why == nil {
					counts[i].why = map[string]int{}
				}
				counts[i].why[path+": "+why]++
			}
			if err != nil {
				if ctx.Err() == nil {
					failed(err.Error())
				}
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil && ctx.Err() == nil {
				failed("reading the body: " + err.Error())
			} else if resp.StatusCode != http.StatusOK && !(path == "/health" && resp.StatusCode == http.StatusServiceUnavailable) {
				failed(resp.Status)
			}
		}
		loop := func(d time.Duration, f func()) {
			if d <= 0 {
				return
			}
			wg.Go(func() {
				t := time.NewTicker(d)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						f()
					}
				}
			})
		}
		loop(*every, func() { get("/metrics", true); get("/health", false) })
		loop(*pageEvery, func() { get("/", false) })
	}
	<-ctx.Done()
	wg.Wait()
	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	for i, base := range flag.Args() {
		fmt.Printf("%s: %d requests, %d errors\n", base, counts[i].requests, counts[i].errors)
		for why, n := range counts[i].why {
			fmt.Printf("  %d x %s\n", n, why)
		}
	}
	for path, n := range pushes {
		fmt.Printf("pushes to %s: %d\n", path, n)
	}
	return nil
}
