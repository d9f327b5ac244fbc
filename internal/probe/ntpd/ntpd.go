// Package ntpd reads ntpd's (ntpsec's or NTP classic's) state over NTP mode 6
// control messages, the protocol ntpq speaks (RFC 1305 appendix B, RFC 9327):
// read status for the association list, then read variables for the system
// and for every association. facebook/time's ntp/control frames the
// messages. No subprocess and no privilege: ntpd answers these queries on
// UDP 127.0.0.1:123 unless restricted with noquery.
package ntpd

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"time"

	"github.com/ntphealth/ntphealth/internal/probe/deadline"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// DefaultAddress is ntpd's NTP and mode 6 port on loopback.
const DefaultAddress = "127.0.0.1:123"

// DefaultTimeout bounds one whole probe: every request and reply.
const DefaultTimeout = 2 * time.Second

// Probe reads one ntpd.
type Probe struct {
	// Address is host:port (UDP); DefaultAddress when empty.
	Address string
	// Timeout bounds the whole exchange; DefaultTimeout when zero.
	Timeout time.Duration
}

// Observe asks ntpd for its system variables and every association's
// variables. It never fails: an ntpd that is absent, dead, restricted or
// garbled yields a Daemon with Error set (Kind "ntpd").
func (p Probe) Observe(ctx context.Context) *observe.Daemon {
	start := time.Now()
	addr := p.Address
	if addr == "" {
		addr = DefaultAddress
	}
	d := &observe.Daemon{Kind: "ntpd", Address: addr, Sources: []observe.Source{}}
	if err := p.read(ctx, addr, d); err != nil {
		d.Error = explain(err)
		d.Tracking = observe.Tracking{}
		d.Sources = []observe.Source{}
	}
	d.DurationSeconds = time.Since(start).Seconds()
	return d
}

func (p Probe) read(ctx context.Context, addr string, d *observe.Daemon) error {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, closeConn, err := deadline.Dial(ctx, "udp", addr)
	if err != nil {
		return err
	}
	defer closeConn()

	return observeSession(newSession(conn), time.Now, d)
}

// observeSession runs the exchange on an open session and fills d; now is
// read once, when the variables have arrived, to age the samples.
func observeSession(s *session, now func() time.Time, d *observe.Daemon) error {
	_, assocs, err := s.readStatus()
	if err != nil {
		return err
	}
	_, sys, err := s.readVars(0)
	if err != nil {
		return err
	}
	peers := make([]peer, 0, len(assocs))
	for _, a := range assocs {
		status, vars, err := s.readVars(a.ID)
		if err != nil {
			return err
		}
		peers = append(peers, peer{ID: a.ID, Status: status, Vars: vars})
	}
	tracking, sources, err := convert(sys, peers, now())
	if err != nil {
		return err
	}
	d.Tracking, d.Sources = tracking, sources
	return nil
}

// explain turns an error into a sentence that says what to do.
func explain(err error) string {
	msg := err.Error()
	switch {
	case deadline.IsTimeout(err):
		return deadline.Unanswered(err) + " (is ntpd running? try `ntpq -p`; " +
			"a `restrict ... noquery` line in ntp.conf also silences mode 6 queries)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is ntpd running? `systemctl status ntpsec` or `ntpq -p`)"
	case strings.Contains(msg, "ntpd refused"):
		return msg + " (allow queries from this address: a `restrict` line without noquery in ntp.conf)"
	}
	return msg
}
