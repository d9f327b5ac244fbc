package daemon

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/history"
	"github.com/ntphealth/ntphealth/internal/notify"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
	"github.com/ntphealth/ntphealth/internal/probe/kernel"
	"github.com/ntphealth/ntphealth/internal/server"
)

// BenchmarkRound is one round of `ntphealth run`, as Run does it (check,
// then push): the chrony and kernel probes against a real chronyd whose PPS
// is selected, the verdict, the history (in memory), the state that /health
// and /metrics read, and a push to a stand-in for Uptime Kuma (in a process
// of its own, so that what it allocates is not counted). Its B/op is what a
// round allocates, with the history in memory and with its file:
//
//	go test -run '^$' -bench BenchmarkRound -benchmem ./internal/daemon/
func BenchmarkRound(b *testing.B) {
	c := chronytest.Start(b, chronytest.Options{Refclocks: true})
	c.WaitFor(b, 30*time.Second, func(d *observe.Daemon) bool {
		for _, s := range d.Sources {
			if s.Name == "PPS" && s.State == observe.StateSelected {
				return true
			}
		}
		return false
	})
	target, err := notify.New(notify.Config{Kind: notify.KindKuma, URL: kumaProcess(b) + "/api/push/T0ken"}, notify.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, store := range []string{"memory", "file"} {
		b.Run("history="+store, func(b *testing.B) {
			hist := history.Memory()
			if store == "file" {
				hist = history.Open(filepath.Join(b.TempDir(), "state"), history.Options{})
			}
			defer hist.Close()
			d := &Daemon{Sink: server.NewStateWith(hist), History: hist, Logger: slog.New(slog.DiscardHandler)}
			p := Plan{
				Observer: probe.Set{Chrony: &chrony.Probe{Address: c.UDPAddr()}, Kernel: &kernel.Probe{}},
				Policy:   config.Default().Checks,
				Targets:  []Target{target},
				Interval: time.Second,
			}
			ctx := context.Background()
			round := func() {
				r, ok := d.check(ctx, p)
				if !ok {
					b.Fatal("round cut short")
				}
				d.push(ctx, job{report: r, targets: p.Targets})
			}
			round() // first-use costs (type caches, the connection to Kuma) outside the timing
			b.ReportAllocs()
			for b.Loop() {
				round()
			}
		})
	}
}

// kumaStandIn is set in the environment of this test binary when it runs as
// BenchmarkRound's push target.
const kumaStandIn = "NTPHEALTH_TEST_KUMA_STANDIN"

func TestMain(m *testing.M) {
	if os.Getenv(kumaStandIn) == "1" {
		serveKuma()
		return
	}
	os.Exit(m.Run())
}

// serveKuma answers like Uptime Kuma's push API on a loopback port, which
// it prints as a URL on stdout, until stdin is closed.
func serveKuma() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { notifytest.KumaOK().Write(w) }))
	fmt.Println("http://" + ln.Addr().String())
	io.Copy(io.Discard, os.Stdin)
}

// kumaProcess starts this test binary as a Kuma stand-in and returns its URL.
func kumaProcess(b *testing.B) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), kumaStandIn+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("the Kuma stand-in did not start: %v", err)
	}
	return strings.TrimSpace(url)
}
