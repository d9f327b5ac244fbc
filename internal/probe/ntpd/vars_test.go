package ntpd

import (
	"reflect"
	"testing"
	"time"
)

func TestParseVars(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want map[string]string
	}{
		{"ntpsec line breaks", "leap=3, stratum=16,\r\nrefid=INIT, mintc=0\r\n\x00\x00",
			map[string]string{"leap": "3", "stratum": "16", "refid": "INIT", "mintc": "0"}},
		{"quoted comma", `version="ntpd 4.2.8p15, built", processor="x86_64"`,
			map[string]string{"version": "ntpd 4.2.8p15, built", "processor": "x86_64"}},
		{"bare name", "noise, leap=0", map[string]string{"noise": "", "leap": "0"}},
		{"first wins", "leap=0, leap=3", map[string]string{"leap": "0"}},
		{"spaces in value", "filtdelay= 0.00 0.01,\r\n pmode=4", map[string]string{"filtdelay": "0.00 0.01", "pmode": "4"}},
		// ntpsec 1.2.2 puts uninitialised octets into filtdelay: a stray
		// quote or comma there must not swallow what follows.
		{"garbage in filter", "filtdelay=\x90\"\xe5,\xff 0.00, pmode=4, srchost=\"SHM(0)\"",
			map[string]string{"filtdelay": "\x90\"\xe5", "pmode": "4", "srchost": "SHM(0)"}},
		{"unterminated quote", `a="b, c=d`, map[string]string{"a": `"b`, "c": "d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseVars([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"", " , ,\r\n", "\x00\x00", "=1, =2", "\xff=1"} {
		if got, err := ParseVars([]byte(bad)); err == nil {
			t.Errorf("ParseVars(%q) = %q, want an error", bad, got)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"0x00000000.00000000", time.Time{}},
		{"0xeeb21a1a.80000000", time.Date(2026, 11, 26, 2, 38, 18, 500000000, time.UTC)},
		{"0xEEB21A1A.00000000", time.Date(2026, 11, 26, 2, 38, 18, 0, time.UTC)},
		// Era 1: seconds below 2^31 are after 2036-02-07.
		{"0x00000001.00000000", time.Date(2036, 2, 7, 6, 28, 17, 0, time.UTC)},
	} {
		got, err := parseTimestamp(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseTimestamp(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0x1", "0xeeb21a1a", "0xzz.00", "0x1.1ffffffff", "yesterday"} {
		if _, err := parseTimestamp(bad); err == nil {
			t.Errorf("parseTimestamp(%q): want an error", bad)
		}
	}
}

func TestParseLeap(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "1": 1, "2": 2, "3": 3, "00": 0, "01": 1, "10": 2, "11": 3} {
		got, err := parseLeap(in)
		if err != nil || int(got) != want {
			t.Errorf("parseLeap(%q) = %v, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "4", "12", "-1", "x"} {
		if _, err := parseLeap(bad); err == nil {
			t.Errorf("parseLeap(%q): want an error", bad)
		}
	}
}

// TestStates: ntpq's tally codes (ntpq(1)) by peer selection field.
func TestStates(t *testing.T) {
	want := []string{"?", "x", "-", "-", "+", "-", "*", "*"} // ' ' x . - + # * o
	for sel, w := range want {
		p := peer{Status: uint16(sel) << 8}
		if got := states[p.selection()]; string(got) != w {
			t.Errorf("selection %d: %q, want %q", sel, got, w)
		}
	}
}

// FuzzParseVars: any reply text decodes without panic into printable
// names; convert never panics on what it yields.
func FuzzParseVars(f *testing.F) {
	for _, scenario := range []string{"synced", "unsynced", "local"} {
		for _, id := range append([]uint16{0}, capturedAssociations(f, scenario)...) {
			var data []byte
			for _, dg := range loadCapture(f, scenario, 2, id) {
				data = append(data, dg[12:]...)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(`a="b, c=d`))
	f.Add([]byte("leap=0, stratum=1, rec=0x1.2, reach=0377"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseVars(data)
		if err != nil {
			if vars != nil {
				t.Fatal("vars with an error")
			}
			return
		}
		if len(vars) == 0 {
			t.Fatal("no vars and no error")
		}
		for name := range vars {
			if !validName(name) {
				t.Fatalf("invalid name %q", name)
			}
		}
		convert(vars, []peer{{ID: 1, Status: 0x961b, Vars: vars}}, time.Now())
	})
}
