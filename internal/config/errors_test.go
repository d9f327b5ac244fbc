package config

import (
	"errors"
	"strings"
	"testing"
)

// TestParseErrors covers every class of error: each must name the file and
// line, the key, and say what to do.
func TestParseErrors(t *testing.T) {
	const kuma = "push:\n  url: https://kuma.example/api/push/Tok3n\n"
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the error, the first is "file:line"
	}{
		// syntax
		{"yaml syntax", "checks:\n  offset_warn: 1ms\n offset_crit: [\n", []string{"ntphealth.yaml:", "invalid YAML"}},
		{"two documents", "timeout: 1s\n---\ntimeout: 2s\n", []string{"ntphealth.yaml:2:", "second YAML document"}},
		{"not a mapping", "- a\n- b\n", []string{"ntphealth.yaml:1:", "expected a mapping"}},
		{"duplicate key", "timeout: 1s\ninterval: 5s\ntimeout: 2s\n", []string{"ntphealth.yaml:3:", "timeout", "given twice (first at line 1)"}},
		{"list key", "[a]: 1\n", []string{"ntphealth.yaml:1:", "key must be a single word"}},

		// unknown keys
		{"unknown top key", "timeout: 1s\nchronyy:\n  address: x\n", []string{"ntphealth.yaml:2:", `unknown key "chronyy"`, "known keys: chrony, ntpd", `did you mean "chrony"`}},
		{"unknown nested key", "checks:\n  offset_wran: 1ms\n", []string{"ntphealth.yaml:2:", "checks:", `unknown key "offset_wran"`, `did you mean "offset_warn"`}},
		{"unknown push key", "push:\n  - url: https://k.example/api/push/x\n    tokken: a\n", []string{"ntphealth.yaml:3:", "push[0]:", `unknown key "tokken"`}},
		{"merge key", "base: &b {timeout: 1s}\n<<: *b\n", []string{"ntphealth.yaml:1:", `unknown key "base"`}},

		// types
		{"bad duration", "checks:\n  offset_warn: 5 parsecs\n", []string{"ntphealth.yaml:2:", "checks.offset_warn", `invalid duration "5 parsecs"`, "use Go duration syntax: 500us, 1ms, 2s"}},
		{"bare number duration", "timeout: 2\n", []string{"ntphealth.yaml:1:", "timeout", "a bare number has no unit"}},
		{"negative duration", "pps:\n  max_gap: -2s\n", []string{"ntphealth.yaml:2:", "pps.max_gap", "negative duration"}},
		{"duration as list", "timeout: [1s]\n", []string{"ntphealth.yaml:1:", "timeout", "expected a duration", "got a list"}},
		{"bad integer", "gps:\n  min_satellites: four\n", []string{"ntphealth.yaml:2:", "gps.min_satellites", "invalid whole number"}},
		{"fraction for integer", "push:\n  url: https://k.example/api/push/x\n  retries: 2.5\n", []string{"ntphealth.yaml:3:", "push[0].retries", "invalid whole number"}},
		{"bad float", "checks:\n  skew_warn_ppm: .inf\n", []string{"ntphealth.yaml:2:", "checks.skew_warn_ppm", "finite number"}},
		{"bad status", "checks:\n  free_running: PANIC\n", []string{"ntphealth.yaml:2:", "checks.free_running", `unknown status "PANIC"`, "OK, WARNING, CRITICAL or UNKNOWN"}},
		{"bad unhealthy", "unhealthy: [CRITICAL, BAD]\n", []string{"ntphealth.yaml:1:", "unhealthy[1]", `unknown status "BAD"`}},
		{"section as value", "checks: strict\n", []string{"ntphealth.yaml:1:", "checks", "expected a mapping"}},
		{"string as mapping", "listen: {a: b}\n", []string{"ntphealth.yaml:1:", "listen", "expected a string"}},

		// values
		{"negative number", "checks:\n  min_sources: -1\n", []string{"ntphealth.yaml:2:", "checks.min_sources", "negative value -1"}},
		{"negative float", "checks:\n  skew_warn_ppm: -1\n", []string{"ntphealth.yaml:2:", "checks.skew_warn_ppm", "negative value"}},
		{"offset warn above crit", "checks:\n  offset_warn: 20ms\n", []string{"ntphealth.yaml:2:", "checks.offset_warn", "20ms is above checks.offset_crit (10ms, the default)", "lower checks.offset_warn"}},
		{"offset crit below warn", "checks:\n  offset_crit: 500us\n", []string{"ntphealth.yaml:2:", "checks.offset_crit", "500µs is below checks.offset_warn (1ms, the default)"}},
		{"max error pair", "checks:\n  max_error_warn: 2s\n  max_error_crit: 1s\n", []string{"ntphealth.yaml:2:", "checks.max_error_warn", "above checks.max_error_crit (1s)"}},
		{"skew pair", "checks:\n  skew_warn_ppm: 200\n", []string{"ntphealth.yaml:2:", "checks.skew_warn_ppm", "200 is above"}},
		{"kernel pair", "kernel:\n  max_error_crit: 10ms\n", []string{"ntphealth.yaml:2:", "kernel.max_error_crit", "below kernel.max_error_warn"}},
		{"remote pair", "checks:\n  remote:\n    offset_warn: 1s\n", []string{"ntphealth.yaml:3:", "checks.remote.offset_warn", "above checks.remote.offset_crit (100ms, the default)"}},
		{"remote stratum", "checks:\n  remote:\n    stratum_warn: 20\n", []string{"ntphealth.yaml:3:", "checks.remote.stratum_warn", "above 16"}},
		{"unknown remote key", "checks:\n  remote:\n    offset: 1s\n", []string{"ntphealth.yaml:3:", "checks.remote:", `unknown key "offset"`}},
		{"kernel unsync", "kernel:\n  unsync: SOMETIMES\n", []string{"ntphealth.yaml:2:", "kernel.unsync", `unknown status "SOMETIMES"`}},
		{"stratum", "checks:\n  stratum_warn: 17\n", []string{"ntphealth.yaml:2:", "checks.stratum_warn", "above 16"}},
		{"interval below 1s", "interval: 500ms\n", []string{"ntphealth.yaml:1:", "interval", "below the minimum of 1s"}},
		{"zero timeout", "timeout: 0s\n", []string{"ntphealth.yaml:1:", "timeout", "must be above 0"}},
		{"log format", "log_format: xml\n", []string{"ntphealth.yaml:1:", "log_format", `unknown log format "xml"`, "text or json"}},
		{"OK unhealthy", "unhealthy: [OK]\n", []string{"ntphealth.yaml:1:", "unhealthy[0]", "OK cannot be unhealthy"}},
		{"kernel enabled", "kernel:\n  enabled: maybe\n", []string{"ntphealth.yaml:2:", "kernel.enabled", "auto, true or false"}},
		{"pps device path", "pps:\n  device: /dev/pps0\n", []string{"ntphealth.yaml:2:", "pps.device", "write pps0, not /dev/pps0"}},
		{"pps sysfs relative", "pps:\n  sysfs_root: sys\n", []string{"ntphealth.yaml:2:", "pps.sysfs_root", "absolute"}},
		{"pps gap", "pps:\n  max_gap: 500ms\n", []string{"ntphealth.yaml:2:", "pps.max_gap", "once a second"}},
		{"gps mode", "gps:\n  min_mode: 1\n", []string{"ntphealth.yaml:2:", "gps.min_mode", "2 for a 2D fix"}},

		// addresses
		{"chrony no port", "chrony:\n  address: 127.0.0.1\n", []string{"ntphealth.yaml:2:", "chrony.address", "has no port", "127.0.0.1:323 or unix:///run/chrony/chronyd.sock"}},
		{"chrony relative socket", "chrony:\n  address: unix://run/chrony/chronyd.sock\n", []string{"ntphealth.yaml:2:", "chrony.address", "must be absolute", "three slashes"}},
		{"chrony bare path", "chrony:\n  address: /run/chrony/chronyd.sock\n", []string{"ntphealth.yaml:2:", "chrony.address", "write unix:///run/chrony/chronyd.sock"}},
		{"chrony url", "chrony:\n  address: udp://127.0.0.1:323\n", []string{"ntphealth.yaml:2:", "chrony.address", "is a URL"}},
		{"chrony bad port", "chrony:\n  address: 127.0.0.1:99999\n", []string{"ntphealth.yaml:2:", "chrony.address", "invalid port"}},
		{"chrony unbracketed v6", "chrony:\n  address: ::1:323\n", []string{"ntphealth.yaml:2:", "chrony.address", "IPv6 in brackets"}},
		{"ntpd address", "ntpd:\n  address: localhost\n", []string{"ntphealth.yaml:2:", "ntpd.address", "127.0.0.1:123"}},
		{"gps address", "gps:\n  address: :2947\n", []string{"ntphealth.yaml:2:", "gps.address", "missing host"}},
		{"ntp server url", "ntp:\n  - pool.ntp.org\n  - ntp://192.0.2.1\n", []string{"ntphealth.yaml:3:", "ntp[1]", "is a URL"}},
		{"ntp server space", "ntp: [\"a b\"]\n", []string{"ntphealth.yaml:1:", "ntp[0]", "invalid server"}},
		{"listen", "listen: localhost\n", []string{"ntphealth.yaml:1:", "listen", "has no port", `or "" for no HTTP server`}},

		// push
		{"push no url", "push:\n  kind: kuma\n", []string{"ntphealth.yaml:2:", "push[0].url", "missing: set url (or url_file)"}},
		{"push no scheme", "push:\n  url: kuma.example/api/push/Tok3n\n", []string{"ntphealth.yaml:2:", "push[0].url", "no scheme or host", "kuma.example/api/push/****"}},
		{"push ftp scheme", "push:\n  url: ftp://kuma.example/api/push/Tok3n\n", []string{"ntphealth.yaml:2:", "push[0].url", "not http or https"}},
		{"push space", "push:\n  url: https://kuma.example/api/push/Tok3n?msg=a b\n", []string{"ntphealth.yaml:2:", "push[0].url", "space"}},
		{"kuma trailing slash", "push:\n  url: https://kuma.example/api/push/Tok3n/\n", []string{"ntphealth.yaml:2:", "push[0].url", "ends in a slash"}},
		{"kuma no token", "push:\n  url: https://kuma.example/api/push/\n", []string{"ntphealth.yaml:2:", "push[0].url", "no token"}},
		{"kuma not push url", "push:\n  url: https://kuma.example/dashboard/3\n", []string{"ntphealth.yaml:2:", "push[0].url", "not an Uptime Kuma push URL"}},
		{"push kind", "push:\n  kind: pagerduty\n  url: https://x.example/a\n", []string{"ntphealth.yaml:2:", "push[0].kind", `unknown push kind "pagerduty"`, "kuma, healthchecks, gatus"}},
		{"push warning", kuma + "  warning: sideways\n", []string{"ntphealth.yaml:3:", "push[0].warning", "use up or down"}},
		{"push ping", kuma + "  ping: jitter\n", []string{"ntphealth.yaml:3:", "push[0].ping", "offset, max_error or none"}},
		{"push ping unit", kuma + "  ping_unit: ns\n", []string{"ntphealth.yaml:3:", "push[0].ping_unit", "use us or ms"}},
		{"push timeout", kuma + "  timeout: 0s\n", []string{"ntphealth.yaml:3:", "push[0].timeout", "above 0"}},
		{"push retries", kuma + "  retries: 50\n", []string{"ntphealth.yaml:3:", "push[0].retries", "maximum of 10"}},
		{"push negative retries", kuma + "  retries: -1\n", []string{"ntphealth.yaml:3:", "push[0].retries", "negative"}},
		{"method on kuma", kuma + "  method: POST\n", []string{"ntphealth.yaml:3:", "push[0].method", "only by kind webhook"}},
		{"token on kuma", kuma + "  token: abcd\n", []string{"ntphealth.yaml:3:", "push[0].token", "only by kind gatus"}},
		{"gatus no token", "push:\n  kind: gatus\n  url: https://gatus.example/api/v1/endpoints/core_ntp/external\n", []string{"ntphealth.yaml:2:", "push[0].token", "gatus needs token"}},
		{"webhook method", "push:\n  kind: webhook\n  url: https://hook.example/x\n  method: FETCH\n", []string{"ntphealth.yaml:4:", "push[0].method", "invalid HTTP method"}},
		{"webhook header", "push:\n  kind: webhook\n  url: https://hook.example/x\n  headers:\n    \"Bad Name\": x\n", []string{"ntphealth.yaml:5:", "push[0].headers.Bad Name", "invalid header name"}},
		{"second push entry", "push:\n  - url: https://k.example/api/push/a1b2\n  - kind: healthchecks\n    url: hc-ping.com/abc\n", []string{"ntphealth.yaml:4:", "push[1].url", "no scheme or host"}},
		{"push as scalar", "push: https://kuma.example/api/push/Tok3n\n", []string{"ntphealth.yaml:1:", "push[0]", "expected a mapping"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "ntphealth.yaml")
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.doc)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.want[0]) {
				t.Errorf("error does not start with %q:\n%s", tc.want[0], msg)
			}
			for _, w := range tc.want[1:] {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "Tok3n") {
				t.Errorf("error shows the token:\n%s", msg)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *config.Error: %T", err)
			}
		})
	}
}

// TestParseReportsEveryError: one run shows every problem, in file order.
func TestParseReportsEveryError(t *testing.T) {
	doc := "interval: 10ms\nlog_format: xml\ntimeout: 0s\n"
	_, err := Parse([]byte(doc), "f.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"f.yaml:1: interval:", "f.yaml:2: log_format:", "f.yaml:3: timeout:"}
	if len(lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, doc := range []string{
		"chrony:\n  address: \"[::1]:323\"\n",
		"chrony:\n  address: localhost:323\n",
		"chrony:\n  address: off\n",
		"chrony:\n  address: \"\"\n",
		"ntpd:\n  address: 127.0.0.1:123\n",
		"ntp: [pool.ntp.org, \"192.0.2.1:123\", \"::1\", \"[2001:db8::1]:123\"]\n",
		"listen: \":9567\"\n",
		"listen: \"\"\n",
		"kernel:\n  enabled: true\n",
		"checks:\n  offset_warn: 0s\n  offset_crit: 0s\n  stratum_warn: 0\n",
		"checks:\n  offset_warn: 20ms\n  offset_crit: 0s\n",
		"pps:\n  device: pps0\n",
		"push:\n  url: https://kuma.example/api/push/abc?status=up&msg=OK&ping=\n",
		"push:\n  url: https://kuma.example/kuma/api/push/abc\n  ping_unit: µs\n  warning: DOWN\n",
		"push:\n  kind: healthchecks\n  url: https://hc-ping.com/0b0f6d3e-2c3d-4c7e-9a0e-3d2a1b0c9f8e\n",
		"push:\n  kind: gatus\n  url: https://gatus.example/api/v1/endpoints/core_ntp/external\n  token: s3cret\n",
		"push:\n  kind: webhook\n  url: https://ntfy.example/{{.Status}}\n  method: put\n  body: '{{.Summary}}'\n  headers:\n    X-Priority: \"3\"\n",
		"timeout: &t 3s\npush:\n  url: https://k.example/api/push/abc\n  timeout: *t\n",
	} {
		if _, err := Parse([]byte(doc), "ntphealth.yaml"); err != nil {
			t.Errorf("Parse refused:\n%s\n%v", doc, err)
		}
	}
}
