// Package gpsd reads a GPS receiver's state from gpsd over its JSON protocol
// (gpsd_json(5), TCP 127.0.0.1:2947): fix mode, satellites used, the age of
// the last position report, and PPS reports.
package gpsd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/probe/deadline"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// DefaultAddress is gpsd's port on loopback (gpsd(8): 2947).
const DefaultAddress = "127.0.0.1:2947"

// DefaultTimeout bounds one whole probe.
const DefaultTimeout = 2 * time.Second

// DefaultWatch is how long the probe watches for fresh reports: a receiver
// reports once a second.
const DefaultWatch = 1500 * time.Millisecond

// watchCommand asks gpsd to stream JSON reports, with PPS ones, and poll
// returns the last TPV and SKY of each device at once (gpsd_json(5)).
const watchCommand = `?WATCH={"enable":true,"json":true,"pps":true};?POLL;` + "\n"

// Probe reads one gpsd.
type Probe struct {
	// Address is gpsd's host:port; DefaultAddress when empty.
	Address string
	// Timeout bounds the whole exchange; DefaultTimeout when zero.
	Timeout time.Duration
	// Watch is how long to wait for a fresh TPV and SKY; DefaultWatch when
	// zero. The probe stops sooner once it has both.
	Watch time.Duration
}

// Observe asks gpsd for its devices and their last reports, then watches
// for fresh ones. It never fails: a gpsd that is absent, dead or garbled
// yields a GPS with Error set.
func (p Probe) Observe(ctx context.Context) *observe.GPS {
	start := time.Now()
	addr := p.Address
	if addr == "" {
		addr = DefaultAddress
	}
	g := &observe.GPS{Address: addr, Devices: []string{}}
	if err := p.read(ctx, addr, g); err != nil {
		*g = observe.GPS{Address: addr, Devices: []string{}, Error: explain(err, addr)}
	}
	g.DurationSeconds = time.Since(start).Seconds()
	return g
}

func (p Probe) read(ctx context.Context, addr string, g *observe.GPS) error {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	watch := p.Watch
	if watch <= 0 {
		watch = DefaultWatch
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, closeConn, err := deadline.Dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer closeConn()

	r := bufio.NewReader(conn)
	first, err := readMessage(r)
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if first.Class != "VERSION" {
		return errNotGPSD
	}
	g.Release = first.Release
	if _, err := conn.Write([]byte(watchCommand)); err != nil {
		return fmt.Errorf("send watch: %w", err)
	}

	// Watch until a fresh TPV and SKY came, the watch ends, or the whole
	// deadline nears (then what was seen is the observation).
	watchStart := time.Now()
	end := watchStart.Add(watch)
	if dl, _ := ctx.Deadline(); dl.Add(-50 * time.Millisecond).Before(end) {
		end = dl.Add(-50 * time.Millisecond)
	}
	if err := conn.SetReadDeadline(end); err != nil {
		return err
	}
	var tpv *Message
	freshSky := false
	polled := false
	for !(g.Fresh && freshSky) {
		m, err := readMessage(r)
		if err != nil {
			if deadline.IsTimeout(err) && ctx.Err() == nil && polled {
				break // the watch ended: report what gpsd said
			}
			return fmt.Errorf("read reports: %w", err)
		}
		switch m.Class {
		case "DEVICES":
			for _, dev := range m.Devices {
				g.Devices = append(g.Devices, dev.Path)
			}
		case "POLL":
			polled = true
			if len(m.TPV) > 0 && !g.Fresh {
				tpv = &m.TPV[0]
			}
			if len(m.SKY) > 0 && !freshSky {
				g.SatellitesUsed, g.SatellitesSeen = satellites(m.SKY[0])
			}
		case "TPV":
			tpv, g.Fresh = &m, true
		case "SKY":
			g.SatellitesUsed, g.SatellitesSeen = satellites(m)
			freshSky = true
		case "PPS":
			g.PPS = true
		case "ERROR":
			return fmt.Errorf("gpsd error: %s", m.Message)
		}
	}
	now := time.Now()
	g.WatchSeconds = now.Sub(watchStart).Seconds()
	if tpv != nil {
		g.Mode = tpv.Mode
		t, err := tpv.FixTime()
		if err != nil {
			return err
		}
		if !t.IsZero() {
			g.Time = t
			age := now.Sub(t).Seconds()
			g.TPVAgeSeconds = &age
		}
	}
	return nil
}

// maxLine bounds one gpsd report; SKY reports with many satellites run to a
// few kilobytes.
const maxLine = 64 << 10

// readMessage reads and decodes one line.
func readMessage(r *bufio.Reader) (Message, error) {
	var line []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			return Message{}, err
		}
		line = append(line, chunk...)
		if len(line) > maxLine {
			return Message{}, fmt.Errorf("gpsd report longer than %d bytes", maxLine)
		}
		if !isPrefix {
			break
		}
	}
	return Decode(line)
}

// explain turns a transport error into a sentence that says what to do.
func explain(err error, addr string) string {
	msg := "gpsd: " + err.Error()
	switch {
	case deadline.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		return msg + " (no answer in time: is gpsd running and is " + addr + " its port?)"
	case strings.Contains(msg, "connection refused"):
		return msg + " (nothing listens there: is gpsd running? systemctl status gpsd gpsd.socket)"
	case errors.Is(err, errNotGPSD):
		return msg
	}
	return msg
}

// satellites are a SKY report's used and seen counts, as observe holds them.
func satellites(sky Message) (used, seen *int) {
	u, s := sky.Used()
	return &u, &s
}
