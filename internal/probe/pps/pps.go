// Package pps reads a kernel PPS device through sysfs
// (/sys/class/pps/ppsN/assert) and tells whether pulses still arrive: a dead
// PPS wire shows here within two seconds, long before chronyd or ntpd gives
// the source up.
package pps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// DefaultSysfsRoot is where sysfs is mounted.
const DefaultSysfsRoot = "/sys"

// DefaultWait is how long a first read waits for the sequence to advance:
// a little over one pulse period (1 s).
const DefaultWait = 1100 * time.Millisecond

// Probe watches one PPS device. It remembers its last reading, so that in the
// daemon (one Probe across rounds) it sees whether the sequence advanced
// since the previous round; its first Observe reads twice, Wait apart. Use
// one Probe from one goroutine at a time (Observe locks).
type Probe struct {
	// Device is the device name, "pps0".
	Device string
	// SysfsRoot is where sysfs is mounted; DefaultSysfsRoot when empty.
	SysfsRoot string
	// Wait is how long the first read waits to see the sequence advance;
	// DefaultWait when zero. The context's deadline may cut it short.
	Wait time.Duration

	mu        sync.Mutex
	have      bool      // last is valid
	last      Assert    // the previous reading
	unchanged time.Time // when the probe first saw last.Sequence
}

// Path is the sysfs file the probe reads.
func (p *Probe) Path() string {
	root := p.SysfsRoot
	if root == "" {
		root = DefaultSysfsRoot
	}
	return filepath.Join(root, "class", "pps", p.Device, "assert")
}

// Observe reads the device. It never fails: a missing or unreadable device
// yields a PPS with Error set.
func (p *Probe) Observe(ctx context.Context) *observe.PPS {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := &observe.PPS{Device: p.Device, Path: p.Path()}
	a, now, err := p.read()
	if err != nil {
		p.have = false
		o.Error = err.Error()
		o.Missing = errors.Is(err, fs.ErrNotExist)
		return o
	}
	if !p.have {
		p.remember(a, now)
		wait := p.Wait
		if wait <= 0 {
			wait = DefaultWait
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// Leave a moment for the second read.
			wait = time.Until(dl) - 10*time.Millisecond
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		if a, now, err = p.read(); err != nil {
			p.have = false
			o.Error = err.Error()
			o.Missing = errors.Is(err, fs.ErrNotExist)
			return o
		}
	}
	o.Advanced = a.Sequence != p.last.Sequence
	if o.Advanced {
		p.remember(a, now)
	} else {
		o.UnchangedSeconds = now.Sub(p.unchanged).Seconds()
	}
	o.AssertTime = a.Time
	o.Sequence = a.Sequence
	if !a.Time.IsZero() {
		o.GapSeconds = now.Sub(a.Time).Seconds()
	}
	return o
}

func (p *Probe) remember(a Assert, now time.Time) {
	p.have, p.last, p.unchanged = true, a, now
}

// read reads and parses the assert file, and says when. A sysfs read does
// not block, so it needs no deadline.
func (p *Probe) read() (Assert, time.Time, error) {
	path := p.Path()
	b, err := os.ReadFile(path)
	now := time.Now()
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return Assert{}, now, fmt.Errorf("pps: %w (no PPS device %q: is its driver loaded, e.g. pps-gpio with a dtoverlay? ls /sys/class/pps)", err, p.Device)
		case errors.Is(err, fs.ErrPermission):
			return Assert{}, now, fmt.Errorf("pps: %w (run as a user that may read it)", err)
		}
		return Assert{}, now, fmt.Errorf("pps: %w", err)
	}
	a, err := ParseAssert(string(b))
	if err != nil {
		return Assert{}, now, fmt.Errorf("pps: %s: %w", path, err)
	}
	return a, now, nil
}
