// Package chrony reads chronyd's state over its command protocol (the one
// chronyc speaks, candm.h in chrony's source), with facebook/time's packet
// types and a client of its own that reuses its buffers (codec.go):
// tracking, every source, and its statistics. No subprocess, no privilege:
// these requests are allowed on UDP 127.0.0.1:323.
package chrony

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ntphealth/ntphealth/internal/probe/deadline"

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

// Observe asks chronyd for tracking, sources and sourcestats, and over the
// unix socket for serverstats too. It never fails:
// a chronyd that is absent, dead or garbled yields a Daemon with Error set.
func (p Probe) Observe(ctx context.Context) *observe.Daemon {
	start := time.Now()
	d := &observe.Daemon{Kind: "chrony", Address: p.Address, Sources: []observe.Source{}}
	if err := p.read(ctx, d); err != nil {
		d.Error = explain(err)
		d.Tracking = observe.Tracking{}
		d.Sources = []observe.Source{}
		d.Unresolved, d.ServerStats = nil, nil
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
	stop, err := deadline.Bind(ctx, conn)
	if err != nil {
		return err
	}
	defer stop()

	if err := query(conn, d); err != nil {
		return err
	}
	if strings.HasPrefix(p.Address, unixScheme) {
		// Only for the metrics, not the verdict: a refusal leaves it nil.
		st, err := serverStats(conn)
		if deadline.IsTimeout(err) {
			return err
		}
		d.ServerStats = st
	}
	return nil
}

// maxSources bounds how many sources the probe reads. A real chronyd has a
// few dozen at most; a larger count is a garbled reply, and reading it
// would only run into the deadline.
const maxSources = 1024

// query asks chronyd for tracking, the sources and their statistics over an
// open connection (one datagram per request and reply) and fills d.
func query(conn io.ReadWriter, d *observe.Daemon) error {
	c := acquire(conn)
	defer c.release()
	return c.query(d)
}

func (c *client) query(d *observe.Daemon) error {
	// Batch 1: tracking and the count of sources.
	c.request(cmdTracking, requestLen)
	if err := c.send(fbchrony.RpyTracking, "tracking", -1, 0); err != nil {
		return err
	}
	c.request(cmdNSources, requestLen)
	if err := c.send(fbchrony.RpyNSources, "sources", -1, 1); err != nil {
		return err
	}
	if err := c.receive(func(tag int, body []byte, err error) error {
		if err != nil {
			return err
		}
		if tag == 0 {
			return decode(body, &c.tracking, "tracking", -1)
		}
		return decode(body, &c.nSources, "sources", -1)
	}); err != nil {
		return err
	}
	n := c.nSources
	if n > maxSources {
		return fmt.Errorf("sources request: chronyd reports %d sources, more than the %d a real one has: %w", n, maxSources, errMalformed)
	}
	all := make([]observe.Source, n)
	if err := c.readSources(all); err != nil {
		return err
	}
	if err := c.readNamesAndStats(all); err != nil {
		return err
	}
	var placeholders []observe.Source
	d.Sources = make([]observe.Source, 0, n)
	for i := range all {
		if isUnresolved(&c.ips[i]) {
			placeholders = append(placeholders, all[i])
		} else {
			d.Sources = append(d.Sources, all[i])
		}
	}
	d.Unresolved = unresolvedNames(placeholders, d.Sources)
	// c.tracking still holds the tracking reply: each reply type is
	// decoded into a field of its own.
	d.Tracking = convertTracking(&c.tracking, d.Sources)
	return nil
}

// errMalformed marks a reply that is not what chronyd sends.
var errMalformed = errors.New("malformed reply")

// readSources is batch 2: each source's data into all[i], and its address
// into c.ips[i]. A source chronyd cannot describe fails the probe.
func (c *client) readSources(all []observe.Source) error {
	c.ips = slices.Grow(c.ips[:0], len(all))[:len(all)]
	take := func(i int, body []byte, err error) error {
		if err == nil {
			err = decode(body, &c.sourceData, "source", int32(i))
		}
		if err != nil {
			return err
		}
		all[i] = convertSource(&c.sourceData)
		c.ips[i] = c.sourceData.IPAddr
		return nil
	}
	for i := range all {
		binary.BigEndian.PutUint32(c.request(cmdSourceData, indexedLen), uint32(i)) // candm.h REQ_Source_Data.index
		if err := c.send(fbchrony.RpySourceData, "source", int32(i), i); err != nil {
			return err
		}
		if len(c.inflight) >= window {
			if err := c.receive(take); err != nil {
				return err
			}
		}
	}
	return c.receive(take)
}

// readNamesAndStats is batch 3: the name each source was configured with
// (chronyc sources without -n; a placeholder of a name not resolved yet,
// see isUnresolved, is known only by it), and the statistics of each
// resolved source. An older chronyd may refuse the name, and the address
// serves then; a source without statistics keeps Stats nil; only the
// deadline fails the probe.
func (c *client) readNamesAndStats(all []observe.Source) error {
	take := func(tag int, body []byte, err error) error {
		i := tag / 2
		if err != nil {
			if deadline.IsTimeout(err) {
				return err
			}
			return nil
		}
		if tag%2 == 0 {
			if decode(body, &c.name, "source name", -1) == nil {
				name := c.name[:]
				if j := bytes.IndexByte(name, 0); j >= 0 {
					name = name[:j]
				}
				if len(name) > 0 {
					all[i].Name = string(name)
				}
			}
			return nil
		}
		if decode(body, &c.sourceStats, "sourcestats", int32(i)) == nil {
			st := &c.sourceStats
			all[i].Stats = &observe.SourceStats{
				Samples:   int(st.NSamples),
				Runs:      int(st.NRuns),
				Span:      float64(st.SpanSeconds),
				Frequency: st.ResidFreqPPM.float64(),
				Skew:      st.SkewPPM.float64(),
				Offset:    slowPositive(st.EstimatedOffset.float64()),
				StdDev:    st.StandardDeviation.float64(),
			}
		}
		return nil
	}
	for i := range all {
		unresolved := isUnresolved(&c.ips[i])
		if unresolved {
			all[i].Address = ""
			all[i].Name = c.ips[i].String() // ID#..., unless chronyd names it
		}
		if unresolved || all[i].Mode != observe.ModeRefclock {
			putIPAddr(c.request(cmdNTPSourceName, sourceNameLen), &c.ips[i])
			if err := c.send(fbchrony.RpyNTPSourceName, "source name", int32(i), 2*i); err != nil {
				return err
			}
		}
		if !unresolved {
			binary.BigEndian.PutUint32(c.request(cmdSourceStats, indexedLen), uint32(i)) // candm.h REQ_Sourcestats.index
			if err := c.send(fbchrony.RpySourceStats, "sourcestats", int32(i), 2*i+1); err != nil {
				return err
			}
		}
		if len(c.inflight) >= window {
			if err := c.receive(take); err != nil {
				return err
			}
		}
	}
	return c.receive(take)
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

// slowPositive turns a chrony offset (positive: local clock fast) into
// observe's sign (positive: local clock slow) without making a zero -0,
// which JSON would print as "-0".
func slowPositive(chronyOffset float64) float64 {
	if chronyOffset == 0 {
		return 0
	}
	return -chronyOffset
}

// convertSource maps one source. chrony's offsets are positive when the
// local clock is ahead (chronyc(1): a source 50 ms behind shows "+50ms");
// observe's are positive when the local clock is slow, as NTP's theta
// (RFC 5905 section 8), so they are negated.
func convertSource(sd *rpySourceData) observe.Source {
	s := observe.Source{
		Mode:        modes[sd.Mode],
		State:       states[sd.State],
		Stratum:     int(sd.Stratum),
		Poll:        int(sd.Poll),
		Reach:       uint8(sd.Reachability),
		Offset:      slowPositive(sd.LatestMeas.float64()),
		OffsetError: sd.LatestMeasErr.float64(),
	}
	if s.State == "" {
		s.State = observe.StateUnreachable
	}
	if sd.SinceSample != math.MaxUint32 { // MaxUint32: no sample yet (chronyc prints "-")
		s.SampleAge = observe.Seconds(float64(sd.SinceSample))
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

// convertTracking maps chronyc tracking. Its "System time" is the
// correction still to apply: positive when the clock is slow, observe's sign
// already; "Last offset" is positive when the clock was fast and is negated.
func convertTracking(t *rpyTracking, sources []observe.Source) observe.Tracking {
	out := observe.Tracking{
		RefID:             fmt.Sprintf("%08X", t.RefID),
		Stratum:           int(t.Stratum),
		Leap:              observe.Leap(t.LeapStatus),
		SystemOffset:      t.CurrentCorrection.float64(), // chronyc: positive prints "slow"
		LastOffset:        slowPositive(t.LastOffset.float64()),
		RMSOffset:         t.RMSOffset.float64(),
		Frequency:         t.FreqPPM.float64(),
		ResidualFrequency: t.ResidFreqPPM.float64(),
		Skew:              t.SkewPPM.float64(),
		RootDelay:         t.RootDelay.float64(),
		RootDispersion:    t.RootDispersion.float64(),
		UpdateInterval:    t.LastUpdateInterval.float64(),
		RefTime:           t.RefTime.time().UTC(),
	}
	if ip := t.IPAddr.ToNetIP(); ip != nil && !ip.IsUnspecified() {
		out.RefName = ip.String()
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

// explain turns a transport error into a sentence that says what to do.
func explain(err error) string {
	msg := err.Error()
	switch {
	case deadline.IsTimeout(err):
		return deadline.Unanswered(err) + " (is chronyd running, and not stopped? does chrony.conf allow commands from here: cmdallow, bindcmdaddress?)"
	case errors.Is(err, os.ErrNotExist):
		return "no command socket there (is chronyd running? check bindcmdaddress in chrony.conf)"
	case errors.Is(err, os.ErrPermission):
		return "permission denied on the command socket (run as root or as _chrony, or use UDP 127.0.0.1:323)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is chronyd running? systemctl status chrony)"
	case strings.Contains(msg, "UNAUTH"):
		return msg + " (chronyd refused the command: allow this address with cmdallow in chrony.conf, or use the unix socket)"
	case errors.Is(err, errMalformed):
		return msg + " (the answer is not a chronyd reply this probe understands: is chronyd, version 4.x, listening at this address?)"
	}
	return msg
}
