package chrony

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// replayConn answers each request with the next recorded reply, and with a
// timeout once they run out, as a silent chronyd would.
type replayConn struct {
	replies  [][]byte
	requests int
	seqs     []uint32 // of the requests not answered yet
}

// Write takes a request; its sequence number goes into the next reply.
func (c *replayConn) Write(b []byte) (int, error) {
	c.requests++
	if len(b) >= 12 {
		c.seqs = append(c.seqs, binary.BigEndian.Uint32(b[8:])) // candm.h CMD_Request.sequence
	}
	return len(b), nil
}

// Read hands out the next reply, with the sequence number of the oldest
// request not answered, as chronyd echoes it (candm.h CMD_Reply.sequence,
// at byte 16 of the reply): a reply captured or made up for one request
// answers whichever the probe sent in its place.
func (c *replayConn) Read(b []byte) (int, error) {
	if len(c.replies) == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(b, c.replies[0])
	c.replies = c.replies[1:]
	if n >= 20 && len(c.seqs) > 0 {
		binary.BigEndian.PutUint32(b[16:], c.seqs[0])
		c.seqs = c.seqs[1:]
	}
	return n, nil
}

// splitReplies reads the capture format: a 2-byte big-endian length before
// each datagram. A short tail is taken as one last datagram.
func splitReplies(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func loadReplies(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "replies", "pps-fallback.bin"))
	if err != nil {
		t.Fatalf("%v (regenerate: go test -run TestPPSSelected -update)", err)
	}
	return b
}

// TestQueryCapturedReplies decodes what a real chronyd 4.3 answered: GPS
// and PPS refclocks with PPS selected, and a network fallback.
func TestQueryCapturedReplies(t *testing.T) {
	conn := &replayConn{replies: splitReplies(loadReplies(t))}
	d := &observe.Daemon{}
	if err := query(conn, d); err != nil {
		t.Fatalf("query: %v", err)
	}
	if len(conn.replies) != 0 {
		t.Errorf("%d replies left over", len(conn.replies))
	}
	tr := d.Tracking
	if tr.RefID != "50505300" || tr.RefName != "PPS" || tr.Stratum != 1 || tr.Leap != observe.LeapNone {
		t.Errorf("tracking %+v", tr)
	}
	want := []struct {
		name, addr string
		mode       observe.Mode
		state      observe.State
		stratum    int
	}{
		{"GPS", "", observe.ModeRefclock, observe.StateNotCombined, 0},
		{"PPS", "", observe.ModeRefclock, observe.StateSelected, 0},
		{"127.0.0.1", "127.0.0.1", observe.ModeServer, observe.StateNotCombined, 2},
	}
	if len(d.Sources) != len(want) {
		t.Fatalf("%d sources, want %d: %+v", len(d.Sources), len(want), d.Sources)
	}
	for i, w := range want {
		s := d.Sources[i]
		if s.Name != w.name || s.Address != w.addr || s.Mode != w.mode || s.State != w.state || s.Stratum != w.stratum {
			t.Errorf("source %d: %+v, want %+v", i, s, w)
		}
		if s.Reach == 0 || s.SampleAge == nil || s.Stats == nil || s.Stats.Samples < 1 {
			t.Errorf("source %d: reach %o age %v stats %+v", i, s.Reach, s.SampleAge, s.Stats)
		}
	}
}

// TestQueryFaults feeds replies a real chronyd never sends.
func TestQueryFaults(t *testing.T) {
	good := splitReplies(loadReplies(t))
	tracking, sources := good[0], good[1]
	// chronyd sends the count as a uint32, which the decoder hands over as
	// an int: negative on 32-bit ARM from 1<<31 on, and the error must
	// still say what chronyd sent (scripts/test.sh runs this under qemu).
	nSources := func(n uint32) []byte {
		b := append([]byte(nil), sources...)
		binary.BigEndian.PutUint32(b[28:], n)
		return b
	}
	badStatus := append([]byte(nil), tracking...)
	binary.BigEndian.PutUint16(badStatus[8:], 2) // STT_UNAUTH
	wrongCommand := append([]byte(nil), tracking...)
	binary.BigEndian.PutUint16(wrongCommand[4:], 14) // REQ_SOURCES
	for _, tc := range []struct {
		name    string
		replies [][]byte
		want    string
	}{
		{"no answer", nil, "tracking request: receive: i/o timeout"},
		{"empty datagram", [][]byte{{}}, "tracking request: malformed reply: no data received"},
		{"truncated header", [][]byte{tracking[:10]}, "tracking request: reply of 10 bytes, shorter than its 28-byte header"},
		{"not chronyd", [][]byte{[]byte("HTTP/1.0 400")}, "tracking request: not a chronyd reply"},
		{"truncated body", [][]byte{tracking[:40]}, "tracking request: reply data of 12 bytes, shorter than the 76 expected: malformed reply"},
		{"unauthorised", [][]byte{badStatus}, "UNAUTH"},
		{"sources reply to tracking", [][]byte{sources}, "tracking request: unexpected reply type 2, not 5: malformed reply"},
		{"other command echoed", [][]byte{wrongCommand}, "tracking request: reply is for command 14"},
		{"implausible source count", [][]byte{tracking, nSources(1 << 31)}, "chronyd reports 2147483648 sources, more than the 1024"},
		{"source count all ones", [][]byte{tracking, nSources(1<<32 - 1)}, "chronyd reports 4294967295 sources, more than the 1024"},
		{"one source too many", [][]byte{tracking, nSources(1025)}, "chronyd reports 1025 sources, more than the 1024"},
		{"silent after sources", [][]byte{tracking, sources}, "source 0 request: receive: i/o timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := query(&replayConn{replies: tc.replies}, &observe.Daemon{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("query: %v, want an error containing %q", err, tc.want)
			}
			t.Log(explain(err))
		})
	}
}

// FuzzDecodeReply feeds arbitrary bytes as chronyd's replies (in the capture
// format) through the probe's whole exchange and conversion: it must end,
// never panic, and yield only states and modes chronyc knows.
func FuzzDecodeReply(f *testing.F) {
	all := loadReplies(f)
	f.Add(all)
	for _, r := range splitReplies(all) {
		f.Add(binary.BigEndian.AppendUint16(nil, uint16(len(r))))
		f.Add(append(binary.BigEndian.AppendUint16(nil, uint16(len(r))), r...))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		conn := &replayConn{replies: splitReplies(b)}
		d := &observe.Daemon{}
		err := query(conn, d)
		if conn.requests > 3+3*maxSources {
			t.Fatalf("%d requests", conn.requests)
		}
		if err != nil {
			if explain(err) == "" {
				t.Fatal("empty explanation")
			}
			return
		}
		if len(d.Sources) > maxSources {
			t.Fatalf("%d sources", len(d.Sources))
		}
		for _, s := range d.Sources {
			if !strings.Contains("*+-?x~", string(s.State)) || s.State == "" {
				t.Errorf("state %q", s.State)
			}
			if s.Mode != observe.ModeServer && s.Mode != observe.ModePeer && s.Mode != observe.ModeRefclock && s.Mode != "" {
				t.Errorf("mode %q", s.Mode)
			}
			_ = math.Abs(s.Offset)
			if strings.HasPrefix(s.Address, "ID#") {
				t.Errorf("placeholder %q among the sources", s.Address)
			}
		}
	})
}
