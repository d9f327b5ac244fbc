package faults

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// planted is the push token the security tests hide everywhere a user may
// put one; leaked finds it (or its URL-escaped form) in what ntphealth
// showed.
const planted = "tok-PLANTED-1234567890"

// leaked reports whether s shows the planted token or a recognisable part
// of it, plain or URL-escaped.
func leaked(s string) bool {
	for _, v := range []string{planted, url.QueryEscape(planted), url.PathEscape(planted), "PLANTED", "1234567890"} {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// plant is one way of giving ntphealth the token.
type plant struct {
	name string
	// apply writes what is needed into dir and returns the extra arguments
	// and environment.
	apply func(t *testing.T, dir, pushURL string) (args, env []string)
	// warn is a substring stderr must hold (a readable file holding a
	// token), "" for none.
	warn string
}

// pushConfig is a config body pushing to the value of url: with the test's
// timeouts.
func pushConfig(chronyAddr, urlLine string) string {
	return fmt.Sprintf("chrony:\n  address: %q\nkernel:\n  enabled: \"false\"\ntimeout: %s\npush:\n  - %s\n    timeout: %s\n    retries: %d\n",
		chronyAddr, probeTimeout, urlLine, pushTimeout, pushRetries)
}

// plants are the places a token can come from. Files are left
// readable by all on purpose: that must draw a warning without the token.
func plants(chronyAddr string) []plant {
	base := fmt.Sprintf("chrony:\n  address: %q\nkernel:\n  enabled: \"false\"\ntimeout: %s\n", chronyAddr, probeTimeout)
	return []plant{
		{name: "config-url", apply: func(t *testing.T, dir, u string) ([]string, []string) {
			p := filepath.Join(dir, "ntphealth.yaml")
			writeFile(t, p, pushConfig(chronyAddr, fmt.Sprintf("url: %q", u)), 0o644)
			return []string{"--config", p}, nil
		}, warn: "holds a push secret in push[0].url and is readable by all (mode 0644): put the URL in /etc/ntphealth/push-url"},
		{name: "url-file", apply: func(t *testing.T, dir, u string) ([]string, []string) {
			writeFile(t, filepath.Join(dir, "push-url"), u+"\n", 0o644)
			p := filepath.Join(dir, "ntphealth.yaml")
			writeFile(t, p, pushConfig(chronyAddr, "url_file: push-url"), 0o644)
			return []string{"--config", p}, nil
		}, warn: "(push[0].url_file) holds a push secret and is readable by all (mode 0644): put the URL in /etc/ntphealth/push-url"},
		// As systemd lays out LoadCredential=push-url:... (systemd.exec(5)):
		// a directory of mode 0500 holding push-url, mode 0400, named by
		// $CREDENTIALS_DIRECTORY; the config names it with url_file.
		{name: "credential", apply: func(t *testing.T, dir, u string) ([]string, []string) {
			creds := filepath.Join(dir, "credentials")
			if err := os.Mkdir(creds, 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(creds, "push-url"), u+"\n", 0o400)
			if err := os.Chmod(creds, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(creds, 0o700) })
			p := filepath.Join(dir, "ntphealth.yaml")
			writeFile(t, p, pushConfig(chronyAddr, "url_file: $CREDENTIALS_DIRECTORY/push-url"), 0o644)
			return []string{"--config", p}, []string{"CREDENTIALS_DIRECTORY=" + creds}
		}},
		{name: "flag", apply: func(t *testing.T, dir, u string) ([]string, []string) {
			p := filepath.Join(dir, "ntphealth.yaml")
			writeFile(t, p, base, 0o644)
			return []string{"--config", p, "--push-url", u}, nil
		}},
		{name: "env", apply: func(t *testing.T, dir, u string) ([]string, []string) {
			p := filepath.Join(dir, "ntphealth.yaml")
			writeFile(t, p, base, 0o644)
			return []string{"--config", p}, []string{"NTPHEALTH_PUSH_URL=" + u}
		}},
	}
}

// TestTokenNeverShownByCheck plants the token in each place, pushes to
// every kind of failing target and prints every format: neither stdout
// nor stderr may show it. A pasted Kuma query string rides along on the
// flag and environment plants.
func TestTokenNeverShownByCheck(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	chrony := garbageUDP(t)
	var tb table
	t.Run("cells", func(t *testing.T) {
		for _, pl := range plants(chrony) {
			for _, p := range pushStates(hold) {
				for _, format := range []string{"text", "json", "nagios"} {
					t.Run(pl.name+"/"+p.name+"/"+format, func(t *testing.T) {
						t.Parallel()
						var u string
						if p.handler != nil {
							u = newReceiver(t, p.handler).URL(planted)
						} else {
							u = refusedURL(t, planted)
						}
						if pl.name == "flag" || pl.name == "env" {
							u += "?status=up&msg=OK&ping="
						}
						args, env := pl.apply(t, t.TempDir(), u)
						o := runOpts{env: env}
						if pl.name == "flag" || pl.name == "env" {
							// A URL from the flag or the environment gets
							// the push defaults: 10 s per attempt, 2 retries.
							o.bound = defaultCheckBound
						}
						r := runBin(t, o, append([]string{"check", "--format", format}, args...)...)
						if r.exit != 2 {
							t.Errorf("exit %d, want 2 (chronyd answers garbage)", r.exit)
						}
						if leaked(r.stdout) || leaked(r.stderr) {
							t.Errorf("the token shows:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
						}
						if pl.warn != "" && !strings.Contains(r.stderr, pl.warn) {
							t.Errorf("no warning %q on stderr:\n%s", pl.warn, r.stderr)
						}
						if pl.warn == "" && strings.Contains(r.stderr, "readable by all") {
							t.Errorf("a warning about file modes, with no token in a file:\n%s", r.stderr)
						}
						tb.add(cell{dims: []string{pl.name + "/" + p.name, format}, exit: r.exit, elapsed: r.elapsed, passed: !t.Failed()})
					})
				}
			}
		}
	})
	tb.log(t, "token planted x push failure x format (ntphealth check)", "plant/push", "format")
}

// badTokenConfigs are config errors on the very line that holds the token:
// each must be refused with a message that does not repeat it.
var badTokenConfigs = []struct{ name, body, msg string }{
	{"scalar-for-list", "push: \"http://127.0.0.1:1/api/push/" + planted + "\"\n", "push"},
	{"list-for-string", "push:\n  - url: [\"http://127.0.0.1:1/api/push/" + planted + "\"]\n", "push[0].url"},
	{"trailing-slash", "push:\n  - url: http://127.0.0.1:1/api/push/" + planted + "/\n", "ends in a slash"},
	{"space", "push:\n  - url: \"http://127.0.0.1:1/api/push/" + planted + " x\"\n", "holds a space"},
	{"no-scheme", "push:\n  - url: 127.0.0.1:1/api/push/" + planted + "\n", "push[0].url"},
	{"bad-scheme", "push:\n  - url: ftp://127.0.0.1/api/push/" + planted + "\n", "is not http or https"},
	{"unknown-key", "push:\n  - uri: http://127.0.0.1:1/api/push/" + planted + "\n", "unknown key"},
	{"unclosed-quote", "push:\n  - url: \"http://127.0.0.1:1/api/push/" + planted + "\n", "invalid YAML"},
	{"tab-indent", "push:\n\t- url: http://127.0.0.1:1/api/push/" + planted + "\n", "invalid YAML"},
	{"duplicate-url", "push:\n  - url: http://127.0.0.1:1/api/push/" + planted + "\n    url: http://127.0.0.1:1/api/push/" + planted + "\n", "url"},
	{"kind-typo", "push:\n  - kind: kumaa\n    url: http://127.0.0.1:1/api/push/" + planted + "\n", "unknown push kind"},
	{"token-on-kuma", "push:\n  - url: http://127.0.0.1:1/api/push/x\n    token: " + planted + "\n", "used only by kind gatus"},
	// The token pasted into a key that is no secret as well: it is known
	// from the url, so it is masked there too.
	{"token-as-timeout", "push:\n  - url: http://127.0.0.1:1/api/push/" + planted + "\n    timeout: " + planted + "\n", "invalid duration"},
	{"webhook-bad-template", "push:\n  - kind: webhook\n    url: \"http://127.0.0.1:1/hook/" + planted + "/{{.Status\"\n", "template"},
	{"webhook-unknown-field", "push:\n  - kind: webhook\n    url: \"http://127.0.0.1:1/hook/" + planted + "/{{.Nope}}\"\n", "Nope"},
	{"webhook-body-error", "push:\n  - kind: webhook\n    url: \"http://127.0.0.1:1/hook/" + planted + "\"\n    body: \"{{.Nope}}\"\n", "Nope"},
	{"gatus-no-token", "push:\n  - kind: gatus\n    url: http://127.0.0.1:1/api/v1/endpoints/" + planted + "/external\n", "token"},
}

// TestTokenNeverInConfigErrors runs each bad config through check: exit 3,
// a message naming the problem, and no token.
func TestTokenNeverInConfigErrors(t *testing.T) {
	var tb table
	t.Run("cells", func(t *testing.T) {
		for _, c := range badTokenConfigs {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				p := filepath.Join(t.TempDir(), "ntphealth.yaml")
				writeFile(t, p, "chrony:\n  address: 127.0.0.1:1\n"+c.body, 0o600)
				r := runBin(t, runOpts{bound: slack}, "check", "--config", p)
				if r.exit != 3 {
					t.Errorf("exit %d, want 3", r.exit)
				}
				if !strings.Contains(r.stderr, c.msg) {
					t.Errorf("stderr does not say %q", c.msg)
				}
				if leaked(r.stdout) || leaked(r.stderr) {
					t.Errorf("the token shows")
				}
				t.Logf("stderr: %s", strings.TrimSpace(r.stderr))
				tb.add(cell{dims: []string{c.name}, exit: r.exit, elapsed: r.elapsed, passed: !t.Failed()})
			})
		}
	})
	tb.log(t, "config errors on the token's line (ntphealth check)", "config")
}

// TestTokenNeverShownByRun runs the daemon in both log formats with the
// token in its config, pushing to a target that fails every way in turn
// (each a SIGHUP away), then a config error on SIGHUP; it scrapes every
// route after each step and greps them and the logs.
func TestTokenNeverShownByRun(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	chrony := garbageUDP(t)
	for _, logFormat := range []string{"text", "json"} {
		t.Run(logFormat, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "ntphealth.yaml")
			addr := testenv.FreeTCPAddr(t)
			states := pushStates(hold)
			urlFor := func(p pushState) string {
				if p.handler == nil {
					return refusedURL(t, planted)
				}
				return newReceiver(t, p.handler).URL(planted)
			}
			writeFile(t, path, pushConfig(chrony, fmt.Sprintf("url: %q", urlFor(states[0]))), 0o644)
			d := startRun(t, runOpts{}, addr, "--config", path, "--listen", addr, "--interval", "1s", "--log-format", logFormat)
			d.waitHealth(reloadStep, func(code int, _ string) bool { return code == 503 })
			scrape := func(step string) {
				t.Helper()
				for _, route := range []string{"/health", "/metrics", "/", "/probe?target=127.0.0.1:1"} {
					code, body, err := d.get(route)
					if err != nil {
						t.Fatalf("%s: GET %s: %v", step, route, err)
					}
					if code >= 500 && route != "/health" {
						t.Errorf("%s: GET %s answered %d", step, route, code)
					}
					if leaked(body) {
						t.Errorf("%s: GET %s shows the token:\n%.2000s", step, route, body)
					}
				}
			}
			scrape("start")
			reloads := 0
			for _, p := range states[1:] {
				writeFile(t, path, pushConfig(chrony, fmt.Sprintf("url: %q", urlFor(p))), 0o644)
				d.hup()
				reloads++
				d.waitLog("config reloaded", reloads, reloadStep)
				// Let at least one push to the new target finish.
				time.Sleep(2*time.Second + (1+pushRetries)*pushTimeout)
				scrape("push " + p.name)
			}
			for _, c := range badTokenConfigs {
				writeFile(t, path, "chrony:\n  address: 127.0.0.1:1\n"+c.body, 0o600)
				before := strings.Count(d.stderr.String(), "config reload refused")
				d.hup()
				d.waitLog("config reload refused", before+1, reloadStep)
			}
			scrape("after config errors")
			if code := d.stop(); code != 0 {
				t.Errorf("exit %d after SIGTERM, want 0", code)
			}
			if leaked(d.stderr.String()) || leaked(d.stdout.String()) {
				t.Errorf("the logs show the token:\n%s", d.stderr.String())
			}
			if !strings.Contains(d.stderr.String(), "/api/push/****") {
				t.Errorf("the logs never name the target redacted (/api/push/****):\n%s", d.stderr.String())
			}
			if !strings.Contains(d.stderr.String(), "is readable by all") {
				t.Errorf("no warning about the readable config file:\n%s", d.stderr.String())
			}
		})
	}
}

// TestServerLoopbackReadOnly starts `run` with no --listen and no listen
// key: it must listen on 127.0.0.1:9567 and nowhere else, and every route
// must refuse any method that could change state.
func TestServerLoopbackReadOnly(t *testing.T) {
	const def = "127.0.0.1:9567"
	if c, err := net.DialTimeout("tcp", def, time.Second); err == nil {
		c.Close()
		t.Fatalf("something already listens on %s: stop it (another ntphealth run?) to test the default address", def)
	}
	path := filepath.Join(t.TempDir(), "ntphealth.yaml")
	writeFile(t, path, "chrony:\n  address: 127.0.0.1:1\nkernel:\n  enabled: \"false\"\n", 0o600)
	d := startRun(t, runOpts{}, def, "--config", path, "--interval", "1s")
	d.waitHealth(reloadStep, func(code int, _ string) bool { return code == 503 })

	// The kernel's socket table: the listener on port 9567 (0x2565) must be
	// bound to 127.0.0.1 (0100007F), in /proc/net/tcp, and absent from tcp6.
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			if strings.HasSuffix(fields[1], ":2565") && fields[1] != "0100007F:2565" {
				t.Errorf("%s: a listener on port 9567 bound to %s, not 127.0.0.1", f, fields[1])
			}
		}
	}
	// Nothing answers on this machine's other addresses.
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		tried++
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), "9567"), time.Second); err == nil {
			c.Close()
			t.Errorf("ntphealth answers on %s:9567; it must listen on loopback only by default", ipn.IP)
		}
	}
	t.Logf("default listener on %s; %d other local address(es) refused", def, tried)

	for _, route := range []string{"/health", "/metrics", "/", "/probe?target=127.0.0.1:1"} {
		if code, _, err := request(http.MethodGet, "http://"+def+route); err != nil || code == http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d %v", route, code, err)
		}
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			code, _, err := request(m, "http://"+def+route)
			if err != nil || code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d %v, want 405", m, route, code, err)
			}
		}
	}
	if code := d.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}
