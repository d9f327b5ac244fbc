package ntpd

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"
)

func dialTest(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(2 * time.Second))
	return c
}

// closedPort returns a loopback UDP address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String()
	c.Close()
	return addr
}

// TestFaults: what a real ntpd cannot be made to send. Each must end in an
// error that names the fault, within the timeout.
func TestFaults(t *testing.T) {
	okStatus := func(req []byte) []byte { return reply(req, 0x0615, 0, "\x45\x67\x96\x1b") }
	okSys := func(req []byte) []byte {
		return reply(req, 0x0615, 0, "leap=0, stratum=1, refid=GPS, offset=0.1, rootdelay=0.0, rootdisp=1.0, peer=17767")
	}
	answer := func(status, sys, peer func(req []byte) []byte) func([]byte) [][]byte {
		return func(req []byte) [][]byte {
			if len(req) < 12 {
				return nil
			}
			var f func([]byte) []byte
			switch id := binary.BigEndian.Uint16(req[6:]); {
			case req[1]&0x1f == 1:
				f = status
			case id == 0:
				f = sys
			default:
				f = peer
			}
			if f == nil {
				return nil
			}
			return [][]byte{f(req)}
		}
	}
	peerOK := func(req []byte) []byte {
		return reply(req, 0x961b, 0, "srcadr=127.127.28.0, hmode=3, stratum=0, ppoll=4, hpoll=4, reach=0xff, offset=-0.1, srchost=\"SHM(0)\"")
	}
	for _, tc := range []struct {
		name   string
		handle func([]byte) [][]byte
		want   string
	}{
		{"silence", func([]byte) [][]byte { return nil }, "no answer in time"},
		{"silent after status", answer(okStatus, nil, nil), "readvar 0"},
		{"short datagram", func([]byte) [][]byte { return [][]byte{{0xd6, 0x81, 0, 1}} }, "truncated"},
		{"not a response", answer(func(req []byte) []byte { d := okStatus(req); d[1] &^= 0x80; return d }, nil, nil), "not a mode 6 response"},
		{"wrong mode", answer(func(req []byte) []byte { d := okStatus(req); d[0] = 0x24; return d }, nil, nil), "not a mode 6 response"},
		{"wrong sequence", answer(func(req []byte) []byte { d := okStatus(req); d[3]++; return d }, nil, nil), "sequence"},
		{"wrong opcode", answer(func(req []byte) []byte { d := okStatus(req); d[1] = 0x82; return d }, nil, nil), "opcode 2"},
		{"count beyond data", answer(func(req []byte) []byte { d := okStatus(req); d[11] = 200; return d }, nil, nil), "declares 200 data octets"},
		{"odd association list", answer(func(req []byte) []byte { return reply(req, 0, 0, "\x45\x67\x96") }, nil, nil), "multiple of 4"},
		{"restricted", answer(func(req []byte) []byte { return reply(req, 7<<8, 0x40, "") }, nil, nil), "administratively prohibited"},
		{"no such association", answer(okStatus, okSys, func(req []byte) []byte { return reply(req, 4<<8, 0x40, "") }), "no such association"},
		{"other association", answer(okStatus, okSys, func(req []byte) []byte { d := peerOK(req); d[7]++; return d }), "association 17768"},
		{"empty variables", answer(okStatus, func(req []byte) []byte { return reply(req, 0, 0, " , ,") }, nil), "no variables"},
		{"no leap", answer(okStatus, func(req []byte) []byte { return reply(req, 0, 0, "stratum=1") }, peerOK), "lack leap"},
		{"bad leap", answer(okStatus, func(req []byte) []byte { return reply(req, 0, 0, "leap=7, stratum=1") }, peerOK), "leap=\"7\""},
		{"no stratum", answer(okStatus, func(req []byte) []byte { return reply(req, 0, 0, "leap=0") }, peerOK), "lack stratum"},
		{"garbled offset", answer(okStatus, func(req []byte) []byte { return reply(req, 0, 0, "leap=0, stratum=2, offset=1e999") }, peerOK), "offset=\"1e999\" is not a number"},
		{"garbled reach", answer(okStatus, okSys, func(req []byte) []byte { return reply(req, 0x961b, 0, "srcadr=192.0.2.1, reach=0x1ff") }), "reach=\"0x1ff\""},
		{"garbled rec", answer(okStatus, okSys, func(req []byte) []byte { return reply(req, 0x961b, 0, "srcadr=192.0.2.1, rec=yesterday") }), "rec=\"yesterday\" is not an NTP timestamp"},
		{"endless fragments", answer(func(req []byte) []byte { return reply(req, 0, 0x20, "\x45\x67\x96\x1b") }, nil, nil), "no answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := startFake(t, tc.handle)
			start := time.Now()
			d := Probe{Address: addr, Timeout: 300 * time.Millisecond}.Observe(context.Background())
			if took := time.Since(start); took > time.Second {
				t.Errorf("probe took %s with a 300 ms timeout", took)
			}
			if !strings.Contains(d.Error, tc.want) {
				t.Errorf("error %q, want it to contain %q", d.Error, tc.want)
			}
			if d.Tracking.Stratum != 0 || len(d.Sources) != 0 {
				t.Errorf("failed probe kept data: %+v", d)
			}
		})
	}
}

// TestMinimalExchange: a minimal but valid exchange, for contrast with TestFaults.
func TestMinimalExchange(t *testing.T) {
	addr := startFake(t, func(req []byte) [][]byte {
		switch {
		case req[1]&0x1f == 1:
			return [][]byte{reply(req, 0x0615, 0, "\x45\x67\x96\x1b\x45\x68\x94\x14")}
		case binary.BigEndian.Uint16(req[6:]) == 0:
			// Split over two fragments, as ntpd does past 468 octets.
			return [][]byte{
				reply(req, 0x0615, 0x20, "leap=00, stratum=2, refid=192.0.2.1, offset=-0.25, sys_jitter=0.5,"),
				reply(req, 0x0615, 0, " frequency=-12.5, clk_wander=0.01, rootdelay=10, rootdisp=2, peer=17767"),
			}
		case binary.BigEndian.Uint16(req[6:]) == 17767:
			return [][]byte{reply(req, 0x961b, 0, "srcadr=192.0.2.1, srchost=\"ntp.example.org\", hmode=3, stratum=1, ppoll=6, hpoll=7, reach=0x7f, offset=-0.25, delay=4, dispersion=1")}
		default:
			return [][]byte{reply(req, 0x9414, 0, "srcadr=192.0.2.2, hmode=1, stratum=2, ppoll=6, hpoll=6, reach=0x3, offset=5, delay=4, dispersion=1")}
		}
	})
	d := Probe{Address: addr, Timeout: time.Second}.Observe(context.Background())
	if d.Error != "" {
		t.Fatal(d.Error)
	}
	tr := d.Tracking
	if tr.Stratum != 2 || tr.RefID != "192.0.2.1" || tr.RefName != "ntp.example.org" || tr.SystemOffset != -0.00025 ||
		tr.Frequency != -12.5 || tr.Skew != 0.01 || tr.RootDelay != 0.010 || tr.RootDispersion != 0.002 || tr.RMSOffset != 0.0005 {
		t.Errorf("tracking %+v", tr)
	}
	if len(d.Sources) != 2 {
		t.Fatalf("sources %+v", d.Sources)
	}
	a, b := d.Sources[0], d.Sources[1]
	if a.Name != "ntp.example.org" || a.Address != "192.0.2.1" || a.Mode != "server" || a.State != "*" || a.Poll != 6 ||
		a.Reach != 0x7f || a.Offset != -0.00025 || a.OffsetError != 0.003 || a.SampleAge != nil {
		t.Errorf("first source %+v", a)
	}
	if b.Name != "" || b.Address != "192.0.2.2" || b.Mode != "peer" || b.State != "+" || b.Offset != 0.005 {
		t.Errorf("second source %+v", b)
	}
}
