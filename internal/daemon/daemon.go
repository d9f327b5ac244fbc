// Package daemon is "ntphealth run": it checks every interval, keeps the
// latest report for the HTTP server, and pushes beside the check loop so a
// slow push target never delays a check.
package daemon

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// Observer runs one round of probes (probe.Set satisfies it).
type Observer interface {
	Observe(ctx context.Context) observe.Observation
}

// Target is one push target (notify.Notifier satisfies it).
type Target interface {
	Target() string
	Notify(ctx context.Context, r health.Report) health.PushResult
}

// Plan is what the daemon does each round; a SIGHUP swaps in a new one.
type Plan struct {
	Observer Observer
	Policy   health.Policy
	Targets  []Target
	// Interval between checks; at least 1 s.
	Interval time.Duration
}

// Sink receives every report and every push outcome (server.State does).
type Sink interface {
	Update(r health.Report)
	RecordPush(results []health.PushResult)
}

// Recorder keeps every report's figures (history.Store does) and says how
// that goes as a check ("history"): ok is false when it has nothing to
// report.
type Recorder interface {
	Record(r health.Report) (c health.Check, ok bool)
}

// Daemon runs the check loop and the pusher.
type Daemon struct {
	Sink Sink
	// History, when set, records each report before the sink and the push
	// targets get it; its check joins the report.
	History Recorder
	Logger  *slog.Logger
	// Reload builds a new plan on SIGHUP; an error keeps the old plan.
	Reload func() (Plan, error)
	// ShutdownTimeout bounds the wait for an in-flight push at exit.
	ShutdownTimeout time.Duration

	mu   sync.Mutex
	plan Plan
}

// job is one report to push with the targets of the plan that made it.
type job struct {
	report  health.Report
	targets []Target
}

// Run checks until ctx ends, then lets an in-flight push finish within
// ShutdownTimeout. hup delivers reload requests (SIGHUP).
func (d *Daemon) Run(ctx context.Context, plan Plan, hup <-chan struct{}) error {
	d.setPlan(plan)
	// The queue holds one report: when the pusher is busy, the newest
	// report replaces an older waiting one.
	queue := make(chan job, 1)
	pushCtx, cancelPush := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPush()
	pusherDone := make(chan struct{})
	go func() {
		defer close(pusherDone)
		d.pusher(pushCtx, queue)
	}()

	var last *health.Status
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			close(queue)
			return d.drain(pusherDone, cancelPush)
		case <-hup:
			d.reload()
			continue
		case <-timer.C:
		}
		// A reload asked for during the last round applies before this one:
		// when a round outlasts the interval, the timer is due at once and
		// select alone would pick it over the reload half the time, round
		// after round.
		select {
		case <-hup:
			d.reload()
		default:
		}
		p := d.currentPlan()
		start := time.Now()
		report, ok := d.check(ctx, p)
		if !ok {
			continue // shutting down: a cut-short round is no verdict
		}
		if last == nil || *last != report.Status {
			d.Logger.Info("status changed", "status", report.Status.String(), "summary", report.Summary)
			s := report.Status
			last = &s
		}
		if len(p.Targets) > 0 {
			enqueue(queue, job{report: report, targets: p.Targets})
		}
		timer.Reset(max(time.Until(start.Add(p.Interval)), 0))
	}
}

// check runs one round of plan p: the probes, the verdict, the history; it
// hands the report to the sink and returns it, false when ctx ended during
// the round.
func (d *Daemon) check(ctx context.Context, p Plan) (health.Report, bool) {
	report := health.Evaluate(p.Observer.Observe(ctx), p.Policy)
	if ctx.Err() != nil {
		return report, false
	}
	if d.History != nil {
		if c, ok := d.History.Record(report); ok {
			report = withCheck(report, c)
		}
	}
	d.Sink.Update(report)
	return report, true
}

// enqueue puts j on the one-slot queue, dropping a waiting older job.
func enqueue(queue chan job, j job) {
	for {
		select {
		case queue <- j:
			return
		default:
		}
		select {
		case <-queue:
		default:
		}
	}
}

func (d *Daemon) pusher(ctx context.Context, queue <-chan job) {
	for j := range queue {
		d.push(ctx, j)
	}
}

// push delivers one report to its targets at once and hands the results to
// the sink.
func (d *Daemon) push(ctx context.Context, j job) {
	results := make([]health.PushResult, len(j.targets))
	var wg sync.WaitGroup
	for i, t := range j.targets {
		wg.Go(func() { results[i] = t.Notify(ctx, j.report) })
	}
	wg.Wait()
	for _, r := range results {
		if !r.OK {
			d.Logger.Warn("push failed", "target", r.Target, "attempts", r.Attempts, "error", r.Error)
		}
	}
	d.Sink.RecordPush(results)
}

// drain waits for the pusher to finish the job in hand, at most ShutdownTimeout.
func (d *Daemon) drain(done <-chan struct{}, cancel context.CancelFunc) error {
	timeout := d.ShutdownTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	select {
	case <-done:
	case <-time.After(timeout):
		d.Logger.Warn("push still running at shutdown; cancelled", "waited", timeout.String())
		cancel()
		<-done
	}
	return nil
}

func (d *Daemon) reload() {
	if d.Reload == nil {
		return
	}
	p, err := d.Reload()
	if err != nil {
		d.Logger.Error("config reload refused; the old config keeps running", "error", err.Error())
		return
	}
	d.setPlan(p)
	d.Logger.Info("config reloaded", "interval", p.Interval.String(), "push_targets", len(p.Targets))
}

func (d *Daemon) setPlan(p Plan) {
	if p.Interval < time.Second {
		p.Interval = time.Second
	}
	d.mu.Lock()
	d.plan = p
	d.mu.Unlock()
}

func (d *Daemon) currentPlan() Plan {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.plan
}

// withCheck adds c to a report made by health.Evaluate: the status becomes
// the worse of the two and, when c made it worse, the summary is c's
// message, as health's summary names the first check with the worst
// status. The check goes in place: the round's report is its own, and
// Evaluate leaves room for one more check.
func withCheck(r health.Report, c health.Check) health.Report {
	r.Checks = append(r.Checks, c)
	if w := health.Worse(r.Status, c.Status); w != r.Status {
		r.Status = w
		r.Summary = w.String() + ": " + c.Message
	}
	return r
}
