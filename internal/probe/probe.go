// Package probe runs the configured probes at once, each bounded by its own
// deadline, and gathers what they saw into one observation.
package probe

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
	"github.com/ntphealth/ntphealth/internal/probe/gpsd"
	"github.com/ntphealth/ntphealth/internal/probe/kernel"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient"
	"github.com/ntphealth/ntphealth/internal/probe/ntpd"
	"github.com/ntphealth/ntphealth/internal/probe/pps"
	"github.com/ntphealth/ntphealth/internal/source"
)

// Set is the probes of one round. A nil probe is not run.
type Set struct {
	// Chrony and NTPD read the local daemon. When both are set (auto mode),
	// ntpd is asked only if chronyd does not answer.
	Chrony *chrony.Probe
	NTPD   *ntpd.Probe
	Kernel *kernel.Probe
	// PPS keeps the last pulse sequence between rounds: one per daemon.
	PPS *pps.Probe
	GPS *gpsd.Probe
	// GPSIfPresent drops the gpsd observation when nothing listens there
	// (auto mode: gpsd is checked only where it runs).
	GPSIfPresent bool
	// Remote lists NTP servers to query from here, at most
	// RemoteConcurrency at a time.
	Remote            []string
	RemoteProbe       ntpclient.Probe
	RemoteConcurrency int
	// Sources are the pluggable sources to read (internal/source), by name.
	Sources []Named
}

// Named is a pluggable source's probe with the source's name.
type Named struct {
	Name  string
	Probe source.Probe
}

// Observe runs every probe concurrently and returns when all have answered
// or given up; each probe bounds itself, and ctx cancels them all. The
// first probe runs on the calling goroutine, the others each on one of
// their own: a round that reads one daemon and the kernel starts one
// goroutine, not two (each new one grows its stack as the probe goes deep).
func (s Set) Observe(ctx context.Context) observe.Observation {
	obs := observe.Observation{Time: time.Now()}
	var jobs []func()
	if s.Chrony != nil || s.NTPD != nil {
		jobs = append(jobs, func() { obs.Daemon = s.daemon(ctx) })
	}
	if s.Kernel != nil {
		jobs = append(jobs, func() { obs.Kernel = s.Kernel.Observe(ctx) })
	}
	if s.PPS != nil {
		jobs = append(jobs, func() { obs.PPS = s.PPS.Observe(ctx) })
	}
	if s.GPS != nil {
		jobs = append(jobs, func() {
			if s.GPSIfPresent && !listening(ctx, s.GPS.Address) {
				return
			}
			obs.GPS = s.GPS.Observe(ctx)
		})
	}
	if len(s.Remote) > 0 {
		jobs = append(jobs, func() { obs.Remote = ntpclient.ObserveAll(ctx, s.Remote, s.RemoteConcurrency, s.RemoteProbe) })
	}
	if len(s.Sources) > 0 {
		obs.Readings = make([]observe.Reading, len(s.Sources))
		for i, n := range s.Sources {
			jobs = append(jobs, func() { obs.Readings[i] = observe.Reading{Name: n.Name, Data: n.Probe.Observe(ctx)} })
		}
	}
	if len(jobs) == 0 {
		return obs
	}
	var wg sync.WaitGroup
	for _, j := range jobs[1:] {
		wg.Go(j)
	}
	jobs[0]()
	wg.Wait()
	return obs
}

// listening reports whether a TCP service accepts connections at addr
// within a short deadline.
func listening(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// daemon reads chronyd, else ntpd; when neither answers, the observation
// says where both were looked for.
func (s Set) daemon(ctx context.Context) *observe.Daemon {
	if s.Chrony == nil {
		return s.NTPD.Observe(ctx)
	}
	d := s.Chrony.Observe(ctx)
	if d.Error == "" || s.NTPD == nil {
		return d
	}
	n := s.NTPD.Observe(ctx)
	if n.Error == "" {
		return n
	}
	d.Error = fmt.Sprintf("%s; ntpd not reachable at %s either: %s", d.Error, n.Address, n.Error)
	return d
}
