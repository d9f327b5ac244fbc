package ntpd

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// peer is one association as read: its ID, the peer status word of the
// read-variables reply, and its variables.
type peer struct {
	ID     uint16
	Status uint16
	Vars   map[string]string
}

// selection is the peer selection field of the peer status word (bits 8-10;
// ntpq(1) "tally codes", RFC 1305 appendix B).
func (p peer) selection() uint8 { return uint8(p.Status>>8) & 0x7 }

// Tally codes as ntpq -p prints them, indexed by the selection field, and
// the state each maps to. '.' (excess: beyond tos maxclock) and '#' (backup)
// passed every sanity test but are not used: not combined, like '-'. ' '
// (reject) is unreachable or not yet valid. 'o' is the system peer in PPS
// mode.
var states = [8]observe.State{
	0: observe.StateUnreachable, // ' ' reject
	1: observe.StateFalseticker, // 'x' falsetick
	2: observe.StateNotCombined, // '.' excess
	3: observe.StateNotCombined, // '-' outlier
	4: observe.StateCombined,    // '+' candidate
	5: observe.StateNotCombined, // '#' backup
	6: observe.StateSelected,    // '*' system peer
	7: observe.StateSelected,    // 'o' PPS peer
}

// Association modes (the peer variable hmode; RFC 5905 figure 10).
const (
	hmodeActive  = 1
	hmodePassive = 2
)

// refclockPrefix is the address space of ntpd's reference clocks:
// 127.127.type.unit (ntp.conf(5) "refclock").
const refclockPrefix = "127.127."

// ntpEpochOffset is the seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const ntpEpochOffset = 2208988800

// convert maps ntpd's system and peer variables onto the observation.
// ntpd reports milliseconds with the RFC 5905 offset sign (positive: the
// source is ahead, so the local clock is behind), which is observe's sign
// too; only the unit changes.
func convert(sys map[string]string, peers []peer, now time.Time) (observe.Tracking, []observe.Source, error) {
	v := vars{m: sys, what: "system variable"}
	leap, err := parseLeap(sys["leap"])
	if err != nil {
		return observe.Tracking{}, nil, err
	}
	t := observe.Tracking{
		RefID:          sys["refid"],
		Stratum:        v.integer("stratum", true),
		Leap:           leap,
		SystemOffset:   v.ms("offset"),
		LastOffset:     v.ms("offset"),
		RMSOffset:      v.ms("sys_jitter"),
		Frequency:      v.number("frequency"),
		Skew:           v.number("clk_wander"),
		RootDelay:      v.ms("rootdelay"),
		RootDispersion: v.ms("rootdisp"),
		RefTime:        v.timestamp("reftime"),
	}
	sysPeer := v.integer("peer", false)
	if v.err != nil {
		return observe.Tracking{}, nil, v.err
	}
	sources := make([]observe.Source, 0, len(peers))
	for _, p := range peers {
		s, err := convertPeer(p, now)
		if err != nil {
			return observe.Tracking{}, nil, err
		}
		sources = append(sources, s)
		if int(p.ID) == sysPeer || s.State == observe.StateSelected && t.RefName == "" {
			t.RefName = s.Label()
		}
	}
	return t, sources, nil
}

// convertPeer maps one association's variables (ntpq rv &ID).
func convertPeer(p peer, now time.Time) (observe.Source, error) {
	v := vars{m: p.Vars, what: fmt.Sprintf("association %d variable", p.ID)}
	addr := p.Vars["srcadr"]
	host := p.Vars["srchost"]
	s := observe.Source{
		Address:     addr,
		Mode:        observe.ModeServer,
		State:       states[p.selection()],
		Stratum:     v.integer("stratum", false),
		Poll:        min(v.integer("ppoll", false), v.integer("hpoll", false)),
		Reach:       uint8(v.unsigned("reach", 8)),
		SampleAge:   sampleAge(&v, now),
		Offset:      v.ms("offset"),
		OffsetError: v.ms("delay")/2 + v.ms("dispersion"),
	}
	if v.err != nil {
		return observe.Source{}, v.err
	}
	switch hmode := v.integer("hmode", false); {
	case strings.HasPrefix(addr, refclockPrefix) || strings.Contains(host, "("):
		s.Mode = observe.ModeRefclock
		// ntpq -p shows a refclock by its srchost: "SHM(0)", "LOCAL(0)".
		s.Name = host
		if s.Name == "" {
			s.Name = p.Vars["refid"]
		}
	case hmode == hmodeActive || hmode == hmodePassive:
		s.Mode = observe.ModePeer
		s.Name = host
	default:
		s.Name = host
	}
	if s.Name == s.Address {
		s.Name = ""
	}
	return s, nil
}

// sampleAge is ntpq's "when" column, seconds: the time since rec (when the
// last sample arrived: the destination timestamp of the last packet, or
// the last refclock sample), else since reftime; nil when neither is set
// (ntpsec pylib/util.py PeerSummary.summary).
func sampleAge(v *vars, now time.Time) *float64 {
	for _, name := range []string{"rec", "reftime"} {
		if t := v.timestamp(name); !t.IsZero() {
			return observe.Seconds(math.Max(0, now.Sub(t).Seconds()))
		}
	}
	return nil
}

// parseLeap reads the leap variable: ntpsec sends it in decimal ("3"),
// ntpq prints two bits ("11").
func parseLeap(s string) (observe.Leap, error) {
	if s == "" {
		return 0, fmt.Errorf("system variables lack leap")
	}
	base := 10
	if len(s) == 2 && strings.Trim(s, "01") == "" {
		base = 2
	}
	n, err := strconv.ParseUint(s, base, 2)
	if err != nil {
		return 0, fmt.Errorf("system variable leap=%q is not 0 to 3", s)
	}
	return observe.Leap(n), nil
}

// vars reads typed values from a variable map, remembering the first
// error: a missing optional value reads as zero, a garbled one is an error.
type vars struct {
	m    map[string]string
	what string
	err  error
}

func (v *vars) fail(name, want string) {
	if v.err == nil {
		v.err = fmt.Errorf("%s %s=%q is not %s", v.what, name, clip(v.m[name]), want)
	}
}

func (v *vars) number(name string) float64 {
	s, ok := v.m[name]
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		v.fail(name, "a number")
		return 0
	}
	return f
}

// ms reads milliseconds as seconds.
func (v *vars) ms(name string) float64 { return v.number(name) / 1000 }

func (v *vars) integer(name string, required bool) int {
	s, ok := v.m[name]
	if !ok {
		if required && v.err == nil {
			v.err = fmt.Errorf("%ss lack %s", v.what, name)
		}
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		v.fail(name, "an integer")
		return 0
	}
	return int(n)
}

// unsigned reads an unsigned value in C notation (0x hex, 0 octal, decimal).
func (v *vars) unsigned(name string, bits int) uint64 {
	s, ok := v.m[name]
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(s, 0, bits)
	if err != nil {
		v.fail(name, fmt.Sprintf("a %d-bit unsigned integer", bits))
		return 0
	}
	return n
}

// timestamp reads an NTP timestamp in ntpd's hex form
// "0xeeb21a1a.33c1fa30" (RFC 5905 section 6); zero when absent or zero.
// Seconds below 2^31 are taken as era 1 (after 2036), as RFC 4330 section 3
// suggests.
func (v *vars) timestamp(name string) time.Time {
	s, ok := v.m[name]
	if !ok {
		return time.Time{}
	}
	t, err := parseTimestamp(s)
	if err != nil {
		v.fail(name, "an NTP timestamp")
	}
	return t
}

func parseTimestamp(s string) (time.Time, error) {
	hi, lo, ok := strings.Cut(strings.TrimPrefix(strings.ToLower(s), "0x"), ".")
	if !ok {
		return time.Time{}, fmt.Errorf("no fraction")
	}
	secs, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return time.Time{}, err
	}
	frac, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return time.Time{}, err
	}
	if secs == 0 && frac == 0 {
		return time.Time{}, nil
	}
	if secs < 1<<31 {
		secs += 1 << 32
	}
	nsec := (frac*1e9 + 1<<31) >> 32
	return time.Unix(int64(secs)-ntpEpochOffset, int64(nsec)).UTC(), nil
}
