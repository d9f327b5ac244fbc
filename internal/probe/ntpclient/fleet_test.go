package ntpclient

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/probe/ntpclient/ntptest"
)

func TestObserveAllOrderAndFaults(t *testing.T) {
	good := ntptest.Start(t, ntptest.Reply{Stratum: 2, RefID: "192.0.2.1"})
	ahead := ntptest.Start(t, ntptest.Reply{ClockOffset: time.Second})
	silent := ntptest.Start(t, ntptest.Reply{Fault: ntptest.FaultSilent})
	kiss := ntptest.Start(t, ntptest.Reply{Kiss: "DENY"})
	targets := []string{good.Addr(), silent.Addr(), "not a host", ahead.Addr(), kiss.Addr(), good.Addr()}

	start := time.Now()
	got := ObserveAll(context.Background(), targets, 2, Probe{Samples: 2, Timeout: 300 * time.Millisecond})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s", took)
	}
	if len(got) != len(targets) {
		t.Fatalf("%d results for %d targets", len(got), len(targets))
	}
	for i, r := range got {
		if r.Target != targets[i] {
			t.Errorf("result %d is for %q, want %q: order not kept", i, r.Target, targets[i])
		}
	}
	if !got[0].Answered() || got[0].Stratum != 2 || !got[5].Answered() {
		t.Errorf("good server: %+v", got[0])
	}
	if !strings.Contains(got[1].Error, "no answer") {
		t.Errorf("silent server: error %q", got[1].Error)
	}
	if !strings.Contains(got[2].Error, "host[:port]") {
		t.Errorf("bad target: error %q", got[2].Error)
	}
	if got[3].Offset < 0.9 || got[3].Offset > 1.1 {
		t.Errorf("server 1 s ahead: offset %g, want about +1 (local clock behind)", got[3].Offset)
	}
	if got[4].KissCode != "DENY" {
		t.Errorf("kiss: %q", got[4].KissCode)
	}
}

func TestObserveAllBoundsConcurrency(t *testing.T) {
	// Every reply is held back 20 ms, so the responder sees how many
	// queries are in flight at once.
	for _, limit := range []int{1, 3, 8} {
		s := ntptest.Start(t, ntptest.Reply{Delay: 20 * time.Millisecond})
		targets := make([]string, 24)
		for i := range targets {
			targets[i] = s.Addr()
		}
		got := ObserveAll(context.Background(), targets, limit, Probe{Samples: 1, Timeout: 2 * time.Second})
		for i, r := range got {
			if !r.Answered() {
				t.Fatalf("limit %d, target %d: %s", limit, i, r.Error)
			}
		}
		if m := s.MaxHeld(); m > limit || m < 1 {
			t.Errorf("limit %d: %d queries in flight at once", limit, m)
		}
	}
}

func TestObserveAllCancel(t *testing.T) {
	s := ntptest.Start(t, ntptest.Reply{Fault: ntptest.FaultSilent})
	targets := make([]string, 20)
	for i := range targets {
		targets[i] = s.Addr()
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	got := ObserveAll(ctx, targets, 4, Probe{Samples: 1, Timeout: 10 * time.Second})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("cancelled fleet took %s", took)
	}
	for i, r := range got {
		if !strings.Contains(r.Error, "cancelled") {
			t.Errorf("target %d: error %q, want cancelled", i, r.Error)
		}
	}
}

func TestObserveAllEmpty(t *testing.T) {
	if got := ObserveAll(context.Background(), nil, 0, Probe{}); len(got) != 0 {
		t.Errorf("%d results for no targets", len(got))
	}
}

// BenchmarkFleet checks 10,000 targets served by 100 in-process responders
// on loopback (100 targets each), one query per target, and reports
// targets/s and the heap in use at its peak.
//
//	go test -run '^$' -bench BenchmarkFleet -benchtime 3x ./internal/probe/ntpclient/
func BenchmarkFleet(b *testing.B) {
	const responders, perResponder = 100, 100
	raiseFileLimit(b)
	targets := make([]string, 0, responders*perResponder)
	for range responders {
		s := ntptest.Start(b, ntptest.Reply{Stratum: 2, RefID: "192.0.2.1"})
		for range perResponder {
			targets = append(targets, s.Addr())
		}
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	opts := Probe{Samples: 1, Timeout: 2 * time.Second}
	b.ResetTimer()
	start := time.Now()
	failed := 0
	for range b.N {
		for _, r := range ObserveAll(context.Background(), targets, DefaultConcurrency, opts) {
			if !r.Answered() {
				failed++
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	<-sampled
	if failed > 0 {
		b.Errorf("%d of %d probes got no answer", failed, b.N*len(targets))
	}
	b.ReportMetric(float64(b.N*len(targets))/elapsed.Seconds(), "targets/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/10k-targets")
}

// raiseFileLimit lifts RLIMIT_NOFILE to its hard limit: the responders and
// the probes in flight each hold a socket.
func raiseFileLimit(tb testing.TB) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Logf("getrlimit: %v", err)
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			tb.Logf("setrlimit: %v", err)
		}
	}
}
