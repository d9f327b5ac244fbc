// Package chrony reads chronyd's state over its command protocol (the one
// chronyc speaks, candm.h in chrony's source) with facebook/time's client:
// tracking, every source, and its statistics. No subprocess, no privilege:
// these requests are allowed on UDP 127.0.0.1:323.
package chrony

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	fbchrony "github.com/facebook/time/ntp/chrony"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// DefaultAddress is chronyd's command port on loopback (chrony.conf(5) cmdport).
const DefaultAddress = "127.0.0.1:323"

// DefaultTimeout bounds one whole probe: every request and reply.
const DefaultTimeout = 2 * time.Second

// Probe reads one chronyd.
type Probe struct {
	// Address is host:port (UDP) or unix:///path/to/chronyd.sock.
	Address string
	// Timeout bounds the whole exchange; DefaultTimeout when zero.
	Timeout time.Duration
}

var socketID atomic.Uint64

func nextSocketID() uint64 { return socketID.Add(1) }

// Observe asks chronyd for tracking, sources and sourcestats. It never fails:
// a chronyd that is absent, dead or garbled yields a Daemon with Error set.
func (p Probe) Observe(ctx context.Context) *observe.Daemon {
	start := time.Now()
	d := &observe.Daemon{Kind: "chrony", Address: p.Address, Sources: []observe.Source{}}
	if err := p.read(ctx, d); err != nil {
		d.Error = explain(err)
		d.Tracking = observe.Tracking{}
		d.Sources = []observe.Source{}
	}
	d.DurationSeconds = time.Since(start).Seconds()
	return d
}

func (p Probe) read(ctx context.Context, d *observe.Daemon) error {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, cleanup, err := dial(ctx, p.Address)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer cleanup()
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	// A cancelled context (SIGTERM) ends a read at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	c := &fbchrony.Client{Connection: conn}
	tracking, err := request[*fbchrony.ReplyTracking](c, fbchrony.NewTrackingPacket(), "tracking")
	if err != nil {
		return err
	}
	n, err := request[*fbchrony.ReplySources](c, fbchrony.NewSourcesPacket(), "sources")
	if err != nil {
		return err
	}
	for i := 0; i < n.NSources; i++ {
		src, err := readSource(c, int32(i))
		if err != nil {
			return err
		}
		d.Sources = append(d.Sources, src)
	}
	d.Tracking = convertTracking(tracking.Tracking, d.Sources)
	return nil
}

// request sends one packet and insists on the reply type it expects.
func request[T fbchrony.ResponsePacket](c *fbchrony.Client, req fbchrony.RequestPacket, what string) (T, error) {
	var zero T
	resp, err := c.Communicate(req)
	if err != nil {
		return zero, fmt.Errorf("%s request: %w", what, err)
	}
	r, ok := resp.(T)
	if !ok {
		return zero, fmt.Errorf("%s request: unexpected reply %T", what, resp)
	}
	return r, nil
}

func readSource(c *fbchrony.Client, i int32) (observe.Source, error) {
	sd, err := request[*fbchrony.ReplySourceData](c, fbchrony.NewSourceDataPacket(i), fmt.Sprintf("source %d", i))
	if err != nil {
		return observe.Source{}, err
	}
	src := convertSource(sd.SourceData)
	if src.Mode != observe.ModeRefclock {
		// The configured name (chronyc sources without -n); an older
		// chronyd may refuse it, and the address serves then.
		if nm, err := request[*fbchrony.ReplyNTPSourceName](c, fbchrony.NewNTPSourceNamePacket(sd.IPAddr), "source name"); err == nil && nm.Name != "" {
			src.Name = nm.Name
		}
	}
	if st, err := request[*fbchrony.ReplySourceStats](c, fbchrony.NewSourceStatsPacket(i), fmt.Sprintf("sourcestats %d", i)); err == nil {
		src.Stats = &observe.SourceStats{
			Samples:   int(st.NSamples),
			Runs:      int(st.NRuns),
			Span:      float64(st.SpanSeconds),
			Frequency: st.ResidFreqPPM,
			Skew:      st.SkewPPM,
			Offset:    st.EstimatedOffset,
			StdDev:    st.StandardDeviation,
		}
	} else if isTimeout(err) {
		return observe.Source{}, err
	}
	return src, nil
}

// chrony's source states (candm.h RPY_SD_ST_*) as chronyc prints them.
var states = map[fbchrony.SourceStateType]observe.State{
	0: observe.StateSelected,
	1: observe.StateUnreachable,
	2: observe.StateFalseticker,
	3: observe.StateJittery,
	4: observe.StateCombined,
	5: observe.StateNotCombined,
}

// chrony's source modes (candm.h RPY_SD_MD_*).
var modes = map[fbchrony.ModeType]observe.Mode{
	0: observe.ModeServer,
	1: observe.ModePeer,
	2: observe.ModeRefclock,
}

func convertSource(sd fbchrony.SourceData) observe.Source {
	s := observe.Source{
		Mode:        modes[sd.Mode],
		State:       states[sd.State],
		Stratum:     int(sd.Stratum),
		Poll:        int(sd.Poll),
		Reach:       uint8(sd.Reachability),
		SampleAge:   float64(sd.SinceSample),
		Offset:      sd.LatestMeas,
		OffsetError: sd.LatestMeasErr,
	}
	if s.State == "" {
		s.State = observe.StateUnreachable
	}
	if sd.SinceSample == math.MaxUint32 { // no sample yet (chronyc prints "-")
		s.SampleAge = -1
	}
	if s.Mode == observe.ModeRefclock {
		// A refclock's "address" is its refid (chronyc: UTI_RefidToString).
		s.Name = refidName(binaryRefID(sd.IPAddr.IP[:4]))
	} else if ip := sd.IPAddr.ToNetIP(); ip != nil {
		s.Address = ip.String()
	} else {
		s.Address = sd.IPAddr.String()
	}
	return s
}

func convertTracking(t fbchrony.Tracking, sources []observe.Source) observe.Tracking {
	out := observe.Tracking{
		RefID:             fmt.Sprintf("%08X", t.RefID),
		Stratum:           int(t.Stratum),
		Leap:              observe.Leap(t.LeapStatus),
		SystemOffset:      -t.CurrentCorrection, // chrony: positive = slow
		LastOffset:        t.LastOffset,
		RMSOffset:         t.RMSOffset,
		Frequency:         t.FreqPPM,
		ResidualFrequency: t.ResidFreqPPM,
		Skew:              t.SkewPPM,
		RootDelay:         t.RootDelay,
		RootDispersion:    t.RootDispersion,
		UpdateInterval:    t.LastUpdateInterval,
		RefTime:           t.RefTime.UTC(),
	}
	if t.IPAddr != nil && !t.IPAddr.IsUnspecified() {
		out.RefName = t.IPAddr.String()
		for _, s := range sources {
			if s.Address == out.RefName && s.Name != "" {
				out.RefName = s.Name
			}
		}
	} else if t.RefID != 0 {
		out.RefName = refidName(t.RefID)
	}
	return out
}

func binaryRefID(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// refidName prints a refid as text when it is printable ASCII ("PPS"),
// else as 8 hex digits.
func refidName(id uint32) string {
	var b []byte
	for shift := 24; shift >= 0; shift -= 8 {
		c := byte(id >> shift)
		if c == 0 {
			continue
		}
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%08X", id)
		}
		b = append(b, c)
	}
	return strings.TrimSpace(string(b))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// explain turns a transport error into a sentence that says what to do.
func explain(err error) string {
	msg := err.Error()
	switch {
	case isTimeout(err):
		return msg + " (no answer in time: is chronyd running and allowing commands from this address? see cmdallow/bindcmdaddress in chrony.conf)"
	case errors.Is(err, os.ErrNotExist):
		return msg + " (no command socket there: is chronyd running? check bindcmdaddress in chrony.conf)"
	case errors.Is(err, os.ErrPermission):
		return msg + " (permission denied: run as root or a member of _chrony, or use UDP 127.0.0.1:323)"
	case strings.Contains(msg, "connection refused"):
		return msg + " (nothing listens there: is chronyd running? systemctl status chrony)"
	}
	return msg
}
