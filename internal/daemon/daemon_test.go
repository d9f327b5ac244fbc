package daemon

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/syncbuf"
)

// stepObserver returns a daemon observation whose error flips on demand, and
// counts its rounds.
type stepObserver struct {
	rounds atomic.Int64
	down   atomic.Bool
}

func (o *stepObserver) Observe(ctx context.Context) observe.Observation {
	o.rounds.Add(1)
	d := &observe.Daemon{Kind: "chrony", Address: "test",
		Tracking: observe.Tracking{Stratum: 1, Leap: observe.LeapNone},
		Sources:  []observe.Source{{Name: "PPS", Mode: observe.ModeRefclock, State: observe.StateSelected, Reach: 0377, SampleAge: observe.Seconds(0)}},
	}
	if o.down.Load() {
		d = &observe.Daemon{Kind: "chrony", Address: "test", Error: "connection refused"}
	}
	return observe.Observation{Time: time.Now(), Daemon: d}
}

// slowTarget takes delay per push, or blocks until its context ends.
type slowTarget struct {
	delay  time.Duration
	pushes atomic.Int64
}

func (s *slowTarget) Target() string { return "slow https://example.test/api/push/****" }

func (s *slowTarget) Notify(ctx context.Context, r health.Report) health.PushResult {
	s.pushes.Add(1)
	select {
	case <-time.After(s.delay):
		return health.PushResult{Target: s.Target(), OK: true, Attempts: 1}
	case <-ctx.Done():
		return health.PushResult{Target: s.Target(), Attempts: 1, Error: ctx.Err().Error()}
	}
}

type sink struct {
	mu      sync.Mutex
	reports []health.Report
	pushes  [][]health.PushResult
}

func (s *sink) Update(r health.Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, r)
}

func (s *sink) RecordPush(r []health.PushResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushes = append(s.pushes, r)
}

func (s *sink) counts() (reports, pushes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reports), len(s.pushes)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A push target that hangs must not delay the check loop: checks go on at
// their interval while one push is stuck.
func TestHangingPushDoesNotDelayChecks(t *testing.T) {
	obs := &stepObserver{}
	target := &slowTarget{delay: time.Hour}
	s := &sink{}
	d := &Daemon{Sink: s, Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 100 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- d.Run(ctx, Plan{Observer: obs, Policy: health.DefaultPolicy(), Targets: []Target{target}, Interval: time.Second}, nil)
	}()
	waitUntil(t, "3 checks", func() bool { r, _ := s.counts(); return r >= 3 })
	if n := target.pushes.Load(); n != 1 {
		t.Errorf("pushes started = %d, want 1 (the pusher is stuck on the first)", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("daemon did not stop within its shutdown timeout while a push hung")
	}
}

// While the pusher is busy, only the newest report waits; older ones are
// dropped, so a slow target gets the current state, not a backlog.
func TestNewestReportWins(t *testing.T) {
	queue := make(chan job, 1)
	for i := range 5 {
		enqueue(queue, job{report: health.Report{Summary: string(rune('a' + i))}})
	}
	if len(queue) != 1 {
		t.Fatalf("queue holds %d jobs, want 1", len(queue))
	}
	if got := (<-queue).report.Summary; got != "e" {
		t.Errorf("waiting report %q, want the newest %q", got, "e")
	}
}

// A status change is logged once, with the summary; healthy repeats are not.
func TestLogsStatusChangesOnly(t *testing.T) {
	obs := &stepObserver{}
	var buf syncbuf.Buffer
	s := &sink{}
	d := &Daemon{Sink: s, Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx, Plan{Observer: obs, Policy: health.DefaultPolicy(), Interval: time.Second}, nil)
	waitUntil(t, "2 checks", func() bool { r, _ := s.counts(); return r >= 2 })
	obs.down.Store(true)
	waitUntil(t, "CRITICAL", func() bool { return strings.Contains(buf.String(), "status=CRITICAL") })
	waitUntil(t, "2 more checks", func() bool { r, _ := s.counts(); return r >= 4 })
	if n := strings.Count(buf.String(), "status changed"); n != 2 {
		t.Errorf("%d status-change lines, want 2 (OK, then CRITICAL):\n%s", n, buf.String())
	}
}

// An invalid config on SIGHUP is refused with a logged error; the old plan
// keeps running. A valid one replaces it.
func TestReload(t *testing.T) {
	oldObs, newObs := &stepObserver{}, &stepObserver{}
	var buf syncbuf.Buffer
	s := &sink{}
	var fail atomic.Bool
	fail.Store(true)
	d := &Daemon{Sink: s, Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		Reload: func() (Plan, error) {
			if fail.Load() {
				return Plan{}, errors.New("ntphealth.yaml:3: interval: below the 1s minimum")
			}
			return Plan{Observer: newObs, Policy: health.DefaultPolicy(), Interval: time.Second}, nil
		}}
	hup := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx, Plan{Observer: oldObs, Policy: health.DefaultPolicy(), Interval: time.Second}, hup)
	waitUntil(t, "first check", func() bool { return oldObs.rounds.Load() >= 1 })
	hup <- struct{}{}
	waitUntil(t, "refusal logged", func() bool { return strings.Contains(buf.String(), "config reload refused") })
	if !strings.Contains(buf.String(), "ntphealth.yaml:3") {
		t.Errorf("refusal does not name the line: %s", buf.String())
	}
	before := oldObs.rounds.Load()
	waitUntil(t, "old plan still checking", func() bool { return oldObs.rounds.Load() > before })
	fail.Store(false)
	hup <- struct{}{}
	waitUntil(t, "new plan checking", func() bool { return newObs.rounds.Load() >= 1 })
}

// gateObserver holds each round until the test releases it.
type gateObserver struct {
	stepObserver
	started chan struct{}
	release chan struct{}
}

func (o *gateObserver) Observe(ctx context.Context) observe.Observation {
	o.started <- struct{}{}
	<-o.release
	return o.stepObserver.Observe(ctx)
}

// A SIGHUP that arrives while a round outlasts the interval (a probe waiting
// out its deadline) is applied before the next round, every time: the due
// timer must not win over it. Each trial fails half the time without the
// priority, so 8 trials miss a regression once in 256 runs.
func TestReloadBeforeNextRoundWhenRoundsOverrun(t *testing.T) {
	for trial := range 8 {
		oldObs := &gateObserver{started: make(chan struct{}), release: make(chan struct{})}
		newObs := &gateObserver{started: make(chan struct{}, 16), release: make(chan struct{})}
		close(newObs.release)
		d := &Daemon{Sink: &sink{}, Logger: slog.New(slog.DiscardHandler),
			Reload: func() (Plan, error) {
				return Plan{Observer: newObs, Policy: health.DefaultPolicy(), Interval: time.Second}, nil
			}}
		hup := make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			d.Run(ctx, Plan{Observer: oldObs, Policy: health.DefaultPolicy(), Interval: time.Second}, hup)
		}()
		<-oldObs.started
		hup <- struct{}{}
		// Outlast the 1 s interval so the timer is due when the round ends.
		time.Sleep(1100 * time.Millisecond)
		oldObs.release <- struct{}{}
		select {
		case <-newObs.started:
		case <-oldObs.started:
			t.Errorf("trial %d: the old plan ran another round before the pending reload", trial)
			close(oldObs.release)
		case <-time.After(5 * time.Second):
			t.Errorf("trial %d: no round within 5 s of the reload", trial)
		}
		cancel()
		<-done
		if t.Failed() {
			return
		}
	}
}

// recorder is a History that fails on demand, as a full disk does.
type recorder struct {
	mu     sync.Mutex
	n      int
	failAt int
}

func (r *recorder) Record(health.Report) (health.Check, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.failAt > 0 && r.n >= r.failAt {
		return health.Check{Name: "history", Status: health.Warning, Message: "cannot write the history: disk full"}, true
	}
	return health.Check{Name: "history", Status: health.OK, Message: "history kept"}, true
}

// TestHistoryCheck: the recorder sees every report; its check joins the
// report that the sink and the push targets get, and a WARNING from it
// makes an OK report WARNING with its message as the summary.
func TestHistoryCheck(t *testing.T) {
	obs := &stepObserver{}
	sk := &sink{}
	rec := &recorder{failAt: 3}
	d := &Daemon{Sink: sk, History: rec, Logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- d.Run(ctx, Plan{Observer: obs, Policy: health.DefaultPolicy(), Interval: time.Second}, nil)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sk.mu.Lock()
		n := len(sk.reports)
		sk.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("fewer than 3 reports in 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	sk.mu.Lock()
	defer sk.mu.Unlock()
	first, third := sk.reports[0], sk.reports[2]
	if c, ok := first.Check("history"); !ok || c.Status != health.OK {
		t.Errorf("first report: history check %+v, %v", c, ok)
	}
	if third.Status == health.OK || third.Status != health.Worse(first.Status, health.Warning) {
		t.Errorf("third report: status %s, want at least WARNING", third.Status)
	}
	if first.Status == health.OK && third.Summary != "WARNING: cannot write the history: disk full" {
		t.Errorf("third report: summary %q", third.Summary)
	}
}
