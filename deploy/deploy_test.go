package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// unitFiles are the units shipped in systemd/.
var unitFiles = []string{"ntphealth.service", "ntphealth-check.service", "ntphealth-check.timer"}

// installedBinary is the ExecStart path in the shipped units.
const installedBinary = "/usr/bin/ntphealth"

// TestUnitsVerify runs systemd-analyze verify on the three units, with
// ExecStart pointing at a freshly built ntphealth (verify refuses a missing
// binary). verify exits 0 even for unknown keys and bad values, which it only
// prints, so any output fails the test.
func TestUnitsVerify(t *testing.T) {
	analyze := testenv.Tool(t, "systemd", "systemd-analyze")
	bin := ntphealthBinary(t)

	dir := t.TempDir()
	var paths []string
	for _, name := range unitFiles {
		b, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), installedBinary, bin)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	stdout, stderr, err := command(t, time.Minute, dir, analyze, append([]string{"verify"}, paths...)...)
	if err != nil || strings.TrimSpace(stdout+stderr) != "" {
		t.Fatalf("systemd-analyze verify %s: err=%v\n%s%s", strings.Join(unitFiles, " "), err, stdout, stderr)
	}
}

// maxExposure is the highest `systemd-analyze security` exposure allowed per
// service (0 locked down .. 10 exposed). systemd 252 rates both 1.4; the
// remaining points are explained at the top of ntphealth.service.
var maxExposure = map[string]float64{
	"ntphealth.service":       2.0,
	"ntphealth-check.service": 2.0,
}

var exposureRe = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

// TestUnitsSecurity keeps the sandbox from regressing: systemd-analyze
// security --offline with --threshold fails the unit above maxExposure.
func TestUnitsSecurity(t *testing.T) {
	analyze := testenv.Tool(t, "systemd", "systemd-analyze")
	for name, max := range maxExposure {
		t.Run(name, func(t *testing.T) {
			threshold := strconv.Itoa(int(max * 10)) // --threshold counts tenths: 1.4 is 14
			stdout, stderr, err := command(t, time.Minute, ".", analyze,
				"security", "--offline=yes", "--threshold="+threshold, filepath.Join("systemd", name))
			m := exposureRe.FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("no exposure level in systemd-analyze security output (err=%v):\n%s%s", err, stdout, stderr)
			}
			got, perr := strconv.ParseFloat(m[1], 64)
			if perr != nil {
				t.Fatalf("exposure %q: %v", m[1], perr)
			}
			t.Logf("%s: exposure %.1f (limit %.1f)", name, got, max)
			if err != nil || got > max {
				t.Errorf("%s: exposure %.1f, limit %.1f (err=%v); what counts against it:\n%s",
					name, got, max, err, exposed(stdout))
			}
		})
	}
}

// exposed keeps the ✗ lines of systemd-analyze security output.
func exposed(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "✗") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// unitSettings reads a unit file into section -> key -> values, in order,
// ignoring comments (systemd.syntax(7); no line continuations are used).
func unitSettings(t *testing.T, name string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("systemd", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	units := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			units[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: malformed line %q", name, line)
			}
			units[section][k] = append(units[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return units
}

// TestUnitSettings pins the settings whose reasons are documented in the
// unit comments, so a "hardening" edit cannot silently break the program:
// ProtectClock= would kill the kernel probe's read-only adjtimex, a
// capability would let it set the clock, a missing SuccessExitStatus=1 would
// turn every WARNING into a failed unit.
func TestUnitSettings(t *testing.T) {
	hardening := map[string]string{
		"DynamicUser":             "yes",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectClock":            "no",
		"RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
		"SystemCallArchitectures": "native",
		"SystemCallErrorNumber":   "EPERM",
		"MemoryDenyWriteExecute":  "yes",
		"ProtectProc":             "invisible",
		"ProcSubset":              "pid",
	}
	tests := []struct {
		unit, section string
		want          map[string]string
	}{
		{"ntphealth.service", "Service", hardening},
		{"ntphealth-check.service", "Service", hardening},
		{"ntphealth.service", "Service", map[string]string{
			"Type":                "simple",
			"ExecStart":           installedBinary + " run --config /etc/ntphealth/ntphealth.yaml",
			"ExecReload":          "/bin/kill -HUP $MAINPID",
			"Restart":             "on-failure",
			"SupplementaryGroups": "", // absent: _chrony is optional, see the comments
		}},
		{"ntphealth.service", "Install", map[string]string{"WantedBy": "multi-user.target"}},
		{"ntphealth-check.service", "Service", map[string]string{
			"Type":              "oneshot",
			"ExecStart":         installedBinary + " check --config /etc/ntphealth/ntphealth.yaml",
			"SuccessExitStatus": "1",
		}},
		{"ntphealth-check.timer", "Timer", map[string]string{
			"OnCalendar":  "minutely",
			"AccuracySec": "1s",
			"Persistent":  "true",
			"Unit":        "ntphealth-check.service",
		}},
		{"ntphealth-check.timer", "Install", map[string]string{"WantedBy": "timers.target"}},
	}
	for _, tt := range tests {
		units := unitSettings(t, tt.unit)
		for key, want := range tt.want {
			vals := units[tt.section][key]
			got := ""
			if len(vals) > 0 {
				got = vals[len(vals)-1]
			}
			if got != want {
				t.Errorf("%s [%s] %s=%q, want %q", tt.unit, tt.section, key, got, want)
			}
		}
	}

	// The push URL: both services load /etc/ntphealth/push-url as the
	// credential ntphealth reads (systemd.exec(5), LoadCredential=), with a
	// blank fallback so that the unit starts without the file (a missing
	// source fails the unit otherwise), and still read /etc/default/ntphealth.
	push := map[string]string{
		"LoadCredential":  config.CredentialPushURL + ":" + config.PushURLFile,
		"SetCredential":   config.CredentialPushURL + `:\n`,
		"EnvironmentFile": "-/etc/default/ntphealth",
	}
	for _, unit := range []string{"ntphealth.service", "ntphealth-check.service"} {
		settings := unitSettings(t, unit)["Service"]
		for key, want := range push {
			if got := settings[key]; len(got) != 1 || got[0] != want {
				t.Errorf("%s [Service] %s=%q, want exactly %q", unit, key, got, want)
			}
		}
	}

	// The kernel probe's adjtimex(2) must stay allowed after
	// SystemCallFilter=~@privileged, which contains @clock: the allow entry
	// has to come last.
	for _, unit := range []string{"ntphealth.service", "ntphealth-check.service"} {
		filters := unitSettings(t, unit)["Service"]["SystemCallFilter"]
		last := len(filters) - 1
		if last < 0 || !slices.Contains(strings.Fields(filters[last]), "adjtimex") || filters[0] != "@system-service" {
			t.Errorf("%s: SystemCallFilter=%q: want @system-service first and adjtimex allowed last", unit, filters)
		}
	}
}

// TestUnitCredentialFallback: when /etc/ntphealth/push-url is absent, the
// units hand ntphealth SetCredential='s value instead (systemd.exec(5)),
// C-unescaped. Laid out as systemd lays it out, ntphealth must read it as
// no URL, leaving NTPHEALTH_PUSH_URL from /etc/default/ntphealth in charge.
func TestUnitCredentialFallback(t *testing.T) {
	const envURL = "https://kuma.example/api/push/fromenv"
	for _, unit := range []string{"ntphealth.service", "ntphealth-check.service"} {
		vals := unitSettings(t, unit)["Service"]["SetCredential"]
		if len(vals) != 1 {
			t.Fatalf("%s: SetCredential=%q, want one", unit, vals)
		}
		id, value, _ := strings.Cut(vals[0], ":")
		data, err := strconv.Unquote(`"` + value + `"`) // C escapes, as systemd's cunescape()
		if err != nil {
			t.Fatalf("%s: SetCredential value %q: %v", unit, value, err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, id), []byte(data), 0o400); err != nil {
			t.Fatal(err)
		}
		t.Setenv(config.EnvCredentialsDir, dir)
		t.Setenv(config.EnvPushURL, envURL)
		url, origin, err := config.ExternalPushURL()
		if err != nil || url != envURL {
			t.Errorf("%s: with the fallback credential %q, ntphealth pushes to %q (from %s, err %v), want $%s",
				unit, data, url, origin, err, config.EnvPushURL)
		}
	}
}
