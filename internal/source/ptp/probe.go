package ptp

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/facebook/time/ptp/protocol"

	"github.com/ntphealth/ntphealth/internal/source"
)

// DefaultTimeout bounds a reading when the probe is given none.
const DefaultTimeout = 2 * time.Second

// Probe reads ptp4l through its management socket. It keeps the mean path
// delay of its previous reading, so that in the daemon (one Probe across
// rounds) a jump between rounds is seen. Observe locks: one at a time.
type Probe struct {
	// Socket is ptp4l's uds_address.
	Socket string
	// Timeout bounds the whole exchange; DefaultTimeout when zero.
	Timeout time.Duration
	// Domain is ptp4l's domainNumber.
	Domain uint8
	// Limits judge the readings.
	Limits Limits

	mu   sync.Mutex
	prev *delaySample
}

// delaySample is one round's mean path delay, from one grandmaster.
type delaySample struct {
	gm      string
	seconds float64
}

// Observe reads ptp4l once. It never fails: a ptp4l that cannot be read
// gives a Reading with Error set.
func (p *Probe) Observe(ctx context.Context) source.Reading {
	p.mu.Lock()
	defer p.mu.Unlock()
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	r := &Reading{Socket: p.Socket, Limits: p.Limits}
	s, err := query(ctx, p.Socket, p.Domain)
	if err != nil {
		// Keep prev: a round that could not read says nothing about the
		// path.
		r.Error = explain(err, p.Socket, p.Domain, timeout, errors.Is(ctx.Err(), context.Canceled))
		return r
	}
	r.fill(s)
	if !r.following() {
		p.prev = nil // no path delay is measured: start afresh
		return r
	}
	if p.prev != nil && p.prev.gm == r.GMIdentity {
		prev := p.prev.seconds
		r.PreviousMeanPathDelaySeconds = &prev
	}
	p.prev = &delaySample{gm: r.GMIdentity, seconds: r.MeanPathDelaySeconds}
	return r
}

// fill copies what ptp4l answered into r.
func (r *Reading) fill(s *snapshot) {
	r.Interface = string(s.props.Interface)
	r.PortState = portStateName(s.port.PortState)
	r.Timestamping = timestampingName(s.props.Timestamping)
	r.DelayMechanism = delayMechanismName(s.port.DelayMechanism)
	// announceReceiptTimeout is counted in announce intervals (IEEE
	// 1588-2008 8.2.5.4.2).
	r.AnnounceTimeoutSeconds = float64(s.port.AnnounceReceiptTimeout) * s.port.LogAnnounceInterval.Duration().Seconds()

	r.ClockIdentity = s.dds.ClockIdentity.String()
	r.ClockClass = int(s.dds.ClockQuality.ClockClass)
	// SoTSC bit 1 is slaveOnly (IEEE 1588-2008 15.5.3.3.1, Table 69).
	r.SlaveOnly = s.dds.SoTSC&0x02 != 0
	r.Domain = int(s.dds.DomainNumber)

	r.GMPresent = s.tsn.GMPresent != 0
	r.GMIdentity = s.pds.GrandmasterIdentity.String()
	r.GMClockClass = int(s.pds.GrandmasterClockQuality.ClockClass)
	r.GMClockAccuracySeconds = accuracySeconds(s.pds.GrandmasterClockQuality.ClockAccuracy)
	r.GMPriority1 = int(s.pds.GrandmasterPriority1)
	r.GMPriority2 = int(s.pds.GrandmasterPriority2)

	r.StepsRemoved = int(s.cds.StepsRemoved)
	r.OffsetFromMasterSeconds = s.cds.OffsetFromMaster.Nanoseconds() / 1e9
	// With the peer delay mechanism ptp4l measures the link delay per port
	// (portDS.peerMeanPathDelay) and leaves currentDS.meanPathDelay at 0
	// (clock.c clock_peer_delay).
	if s.port.DelayMechanism == delayP2P {
		r.MeanPathDelaySeconds = s.port.PeerMeanPathDelay.Nanoseconds() / 1e9
	} else {
		r.MeanPathDelaySeconds = s.cds.MeanPathDelay.Nanoseconds() / 1e9
	}
}

// portStateName names a port state as IEEE 1588-2008 Table 8 (and pmc) do.
func portStateName(s protocol.PortState) string {
	if n := s.String(); n != "" {
		return n
	}
	return "UNKNOWN"
}

// timestampingName names ptp4l's enum timestamp_type (linuxptp
// transport.h), which PORT_PROPERTIES_NP carries.
func timestampingName(t protocol.Timestamping) string {
	switch t {
	case protocol.TimestampingSoftware:
		return "software"
	case protocol.TimestampingHardware:
		return "hardware"
	case protocol.TimestampingLegacyHW:
		return "legacy hardware"
	case protocol.TimestampingOneStep:
		return "hardware one-step"
	case protocol.TimestampingP2P1Step:
		return "hardware p2p one-step"
	}
	return "unknown"
}

// delayMechanismName names IEEE 1588-2008 Table 9's values.
func delayMechanismName(m uint8) string {
	switch m {
	case delayE2E:
		return "E2E"
	case delayP2P:
		return "P2P"
	case delayDisabled:
		return "DISABLED"
	}
	return "unknown"
}

// accuracySeconds reads clockAccuracy (IEEE 1588-2008 7.6.2.5, Table 6):
// 0x20 "within 25 ns" to 0x30 "within 10 s"; nil for 0x31 (beyond 10 s),
// 0xFE (unknown) and the reserved values.
func accuracySeconds(a protocol.ClockAccuracy) *float64 {
	if a < protocol.ClockAccuracyNanosecond25 || a > protocol.ClockAccuracySecond10 {
		return nil
	}
	s := a.Duration().Seconds()
	return &s
}
