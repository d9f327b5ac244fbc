package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// TestPrometheus is the fleet on Prometheus end to end: real chronyd rigs,
// four `ntphealth run` agents checking every second, Debian's Prometheus
// (1 s scrape and rule evaluation) loading deploy/prometheus/*.yml as
// shipped, and Debian's Alertmanager with a webhook receiver, all on
// loopback. One agent is scraped over TLS with basic auth (its web config
// made here) and also serves /probe for three remote servers, one of them
// dead. Read back through the HTTP APIs:
//
//   - healthy: no alert for the healthy hosts, live targets and agents;
//   - the PPS feed of one rig stops: NTPHealthPreferredSourceLost /
//     NTPHealthSourceStale reach Alertmanager;
//   - chronyd of another rig killed: NTPHealthTimeDaemonUnreachable;
//     restarted: it resolves;
//   - the dead /probe target: NTPServerProbeFailed, not the live ones;
//   - an agent killed: NTPHealthAgentDown;
//   - a scrape without credentials is refused (401);
//   - every panel query of deploy/grafana/ntphealth.json returns data.
//
// Each latency is logged ("latency: ...") from the fault to the alert in
// Alertmanager's API and at the webhook. The rules' for: are the shipped
// ones (1 m for each of these), so each latency is about a minute plus
// detection; the faults start together and the whole test takes about
// two minutes.
func TestPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("minutes long; not with -short")
	}
	testenv.Tool(t, "prometheus", "prometheus")
	testenv.Tool(t, "prometheus-alertmanager", "prometheus-alertmanager", "alertmanager")
	rules, err := filepath.Abs("../deploy/prometheus")
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()

	// The time daemons: H healthy (and serving NTP: a live /probe target),
	// P loses its PPS feed, C is killed and restarted. Each has GPS + PPS
	// refclocks and a network fallback, as a stratum-1 server has.
	rigH := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true, Serve: true})
	rigP := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true, Serve: true})
	rigC := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true})
	deadTarget := testenv.FreeTCPAddr(t) // a loopback port where no NTP server answers

	hook := startHookReceiver(t)
	am := startAlertmanager(t, hook.url+"/alerts")
	web := newWebConfig(t)

	// The agents: healthy over TLS + basic auth (and /probe), the others
	// plain HTTP. "agent" reads H's chronyd too and is killed later.
	healthy := startAgent(t, "healthy", rigH.UDPAddr(), hook.url+"/push", web.client(true), "https", "--web.config.file", web.path)
	pps := startAgent(t, "pps", rigP.UDPAddr(), hook.url+"/push", http.DefaultClient, "http")
	chrony := startAgent(t, "chrony", rigC.UDPAddr(), hook.url+"/push", http.DefaultClient, "http")
	victim := startAgent(t, "agent", rigH.UDPAddr(), hook.url+"/push", http.DefaultClient, "http")

	testTLS(t, web, healthy)

	liveTargets := []string{rigH.NTPAddr(), rigP.NTPAddr()}
	prom := startPrometheus(t, prometheusConfig(am.addr, rules, web, healthy.addr,
		[]string{pps.addr, chrony.addr, victim.addr}, append(liveTargets, deadTarget)))
	promStart := time.Now()

	// Wait for the healthy state: every agent scraped and OK, and H's and
	// P's refclocks selected.
	waitFor(t, "every agent scraped and OK", 90*time.Second, func() (bool, string) {
		r := prom.query(t, `ntphealth_status{job="ntphealth"} == 0 and on (instance) ntphealth_check_status{check="preferred_source"} == 0`)
		return len(r.Result) == 4, fmt.Sprintf("%d of 4 agents OK with their PPS selected: %v", len(r.Result), instances(r))
	})
	settled := time.Now()
	t.Logf("healthy fleet scraped %.1f s after Prometheus started", settled.Sub(promStart).Seconds())

	// Healthy: no alert, pending or firing, about a healthy host, agent or
	// live target. The dead target's may already be pending.
	deadInstance := deadTarget
	time.Sleep(5 * time.Second)
	for _, a := range prom.alerts(t) {
		if a.Labels["instance"] != deadInstance {
			t.Errorf("healthy fleet: alert %s %s on %s (value %s)", a.Labels["alertname"], a.State, a.Labels["instance"], a.Value)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The refusal, seen by Prometheus: the job without credentials.
	waitFor(t, "the scrape without credentials refused", 30*time.Second, func() (bool, string) {
		for _, tg := range prom.targets(t) {
			if tg.Labels["job"] == "ntphealth-noauth" {
				return tg.Health == "down" && strings.Contains(tg.LastError, "401"), fmt.Sprintf("%s: %s", tg.Health, tg.LastError)
			}
		}
		return false, "no ntphealth-noauth target"
	})

	// The faults, together.
	t0 := time.Now()
	rigP.StopFeed()
	rigC.Stop()
	victim.kill()
	t.Logf("faults at %s: PPS feed of %s stopped, chronyd of %s killed, agent %s killed", t0.Format(time.RFC3339), pps.addr, chrony.addr, victim.addr)

	type expect struct {
		what      string
		alerts    []string // any of these names
		instance  string
		since     time.Time
		inAM, hit time.Time
		name      string
	}
	expects := []*expect{
		{what: "PPS feed stopped -> alert in Alertmanager", alerts: []string{"NTPHealthPreferredSourceLost", "NTPHealthSourceStale"}, instance: pps.addr, since: t0},
		{what: "chronyd killed -> unreachable alert in Alertmanager", alerts: []string{"NTPHealthTimeDaemonUnreachable"}, instance: chrony.addr, since: t0},
		{what: "ntphealth killed -> agent-down alert in Alertmanager", alerts: []string{"NTPHealthAgentDown"}, instance: victim.addr, since: t0},
		{what: "dead /probe target -> probe alert in Alertmanager (from Prometheus' start)", alerts: []string{"NTPServerProbeFailed"}, instance: deadInstance, since: promStart},
	}
	seen := map[string]time.Time{} // alertname/instance -> first seen in Alertmanager
	waitFor(t, "every expected alert in Alertmanager", 150*time.Second, func() (bool, string) {
		now := time.Now()
		for _, a := range am.alerts(t) {
			k := a.Labels["alertname"] + "/" + a.Labels["instance"]
			if _, ok := seen[k]; !ok {
				seen[k] = now
			}
		}
		var missing []string
		for _, e := range expects {
			for _, name := range e.alerts {
				if at, ok := seen[name+"/"+e.instance]; ok && (e.inAM.IsZero() || at.Before(e.inAM)) {
					e.inAM, e.name = at, name
				}
			}
			if e.inAM.IsZero() {
				missing = append(missing, e.what)
			}
		}
		return len(missing) == 0, "waiting for: " + strings.Join(missing, "; ")
	})
	time.Sleep(3 * time.Second) // group_wait 1 s: let the webhook hear of the last ones
	for _, check := range []string{"stale_source", "preferred_source"} {
		if at, ok := firstAtLeast(t, prom, fmt.Sprintf(`ntphealth_check_status{check=%q,instance=%q}`, check, pps.addr), 1, t0); ok {
			t.Logf("latency: PPS feed stopped -> ntphealth's %s check not OK (as scraped) after %.1f s", check, at.Sub(t0).Seconds())
		}
	}
	for _, e := range expects {
		line := fmt.Sprintf("latency: %s: %s after %.1f s", e.what, e.name, e.inAM.Sub(e.since).Seconds())
		if at, ok := hook.notified(e.name, e.instance, false); ok {
			line += fmt.Sprintf(", at the webhook after %.1f s", at.Sub(e.since).Seconds())
		}
		t.Log(line)
	}

	// Only the faulty: nothing about the healthy agent, the live targets,
	// and no probe alert for them.
	for _, a := range prom.alerts(t) {
		inst := a.Labels["instance"]
		if inst == healthy.addr || inst == liveTargets[0] || inst == liveTargets[1] {
			t.Errorf("after the faults: alert %s %s on %s, which is healthy", a.Labels["alertname"], a.State, inst)
		}
	}

	// chronyd back: the unreachable alert resolves.
	t1 := time.Now()
	rigC.Restart()
	waitFor(t, "NTPHealthTimeDaemonUnreachable resolved in Prometheus and Alertmanager", 60*time.Second, func() (bool, string) {
		for _, a := range prom.alerts(t) {
			if a.Labels["alertname"] == "NTPHealthTimeDaemonUnreachable" && a.Labels["instance"] == chrony.addr {
				return false, "still " + a.State + " in Prometheus"
			}
		}
		for _, a := range am.alerts(t) {
			if a.Labels["alertname"] == "NTPHealthTimeDaemonUnreachable" && a.Labels["instance"] == chrony.addr {
				return false, "still active in Alertmanager"
			}
		}
		return true, ""
	})
	line := fmt.Sprintf("latency: chronyd restarted -> unreachable alert resolved in Alertmanager after %.1f s", time.Since(t1).Seconds())
	if at, ok := hook.notified("NTPHealthTimeDaemonUnreachable", chrony.addr, true); ok {
		line += fmt.Sprintf(", resolved at the webhook after %.1f s", at.Sub(t1).Seconds())
	}
	t.Log(line)

	// Over the whole run: never an alert about the healthy agent or a live
	// target, not even pending (ALERTS keeps both states).
	window := fmt.Sprintf("%ds", int(time.Since(settled).Seconds())+1)
	for _, inst := range append([]string{healthy.addr}, liveTargets...) {
		q := fmt.Sprintf(`count_over_time(ALERTS{instance=%q}[%s])`, inst, window)
		if r := prom.query(t, q); len(r.Result) > 0 {
			t.Errorf("%s: %v: the healthy %s had alerts", q, r.Result, inst)
		}
	}

	testDashboardQueries(t, prom, healthy.addr, begin)
	t.Logf("TestPrometheus took %.1f s", time.Since(begin).Seconds())
}

// testTLS checks the agent's web config from outside: HTTPS with the
// password works, without it (or with a wrong one) 401, plain HTTP refused.
func testTLS(t *testing.T, web webConfig, a *agent) {
	t.Helper()
	for _, c := range []struct {
		name   string
		client *http.Client
		url    string
		want   int
	}{
		{"https with basic auth", web.client(true), "https://" + a.addr + "/metrics", http.StatusOK},
		{"https without credentials", web.client(false), "https://" + a.addr + "/metrics", http.StatusUnauthorized},
		{"https, wrong password", (webConfig{pool: web.pool, user: web.user, password: "guess"}).client(true), "https://" + a.addr + "/metrics", http.StatusUnauthorized},
		{"plain http", http.DefaultClient, "http://" + a.addr + "/metrics", http.StatusBadRequest},
	} {
		resp, err := c.client.Get(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: GET %s: %s, want %d", c.name, c.url, resp.Status, c.want)
		}
	}
}

// prometheusConfig scrapes the agents every second (the TLS one with
// basic auth, the others over plain HTTP, all as job ntphealth), the TLS
// agent once more without credentials (job ntphealth-noauth: refused),
// and the remote targets through the TLS agent's /probe with the usual
// relabelling (job ntp), and loads the shipped rules.
func prometheusConfig(amAddr, rulesDir string, web webConfig, tlsAgent string, plainAgents, probeTargets []string) string {
	q := func(ss []string) string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(out, ", ") + "]"
	}
	return fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files:
  - %[1]s/*.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%[2]q]
scrape_configs:
  - job_name: ntphealth
    basic_auth: {username: %[3]q, password: %[4]q}
    tls_config: {ca_file: %[5]q}
    static_configs:
      - targets: [%[6]q]
        labels: {__scheme__: https}
      - targets: %[7]s
  - job_name: ntphealth-noauth
    scheme: https
    tls_config: {ca_file: %[5]q}
    static_configs:
      - targets: [%[6]q]
  - job_name: ntp
    metrics_path: /probe
    scheme: https
    basic_auth: {username: %[3]q, password: %[4]q}
    tls_config: {ca_file: %[5]q}
    static_configs:
      - targets: %[8]s
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: %[6]q
`, rulesDir, amAddr, web.user, web.password, web.caFile, tlsAgent, q(plainAgents), q(probeTargets))
}

// waitFor polls cond every 250 ms until it holds, or fails the test after
// timeout with cond's last word.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, timeout, why)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// firstAtLeast returns the first time since from which the series of q
// was at least v, by a range query at 1 s steps.
func firstAtLeast(t *testing.T, prom *prometheus, q string, v float64, from time.Time) (time.Time, bool) {
	t.Helper()
	r := prom.queryRange(t, fmt.Sprintf("%s >= %g", q, v), from, time.Now(), time.Second)
	var first time.Time
	for _, s := range r.Result {
		for _, pt := range s.Values {
			if ts, ok := pt[0].(float64); ok {
				at := time.UnixMilli(int64(ts * 1000))
				if first.IsZero() || at.Before(first) {
					first = at
				}
			}
		}
	}
	return first, !first.IsZero()
}

// instances lists the instance labels of a query result.
func instances(r promResult) []string {
	var out []string
	for _, s := range r.Result {
		out = append(out, s.Metric["instance"])
	}
	sort.Strings(out)
	return out
}

// dashboard is what the test reads of deploy/grafana/ntphealth.json.
type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// grafanaVars are Grafana's built-in interval variables, replaced as
// Grafana would for this test's 1 s scrape interval.
var grafanaVars = strings.NewReplacer("$__rate_interval", "30s", "$__interval", "2s", "$__range", "5m")

// testDashboardQueries runs every panel query of the dashboard, its
// variables set to job ntphealth and the healthy agent (as Grafana puts a
// single value in, unescaped), over the test's
// time range, and demands data from each.
func testDashboardQueries(t *testing.T, prom *prometheus, instance string, begin time.Time) {
	t.Helper()
	b, err := os.ReadFile("../deploy/grafana/ntphealth.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("ntphealth.json: %v", err)
	}
	vars := strings.NewReplacer("$job", "ntphealth", "$instance", instance, "${datasource}", "")
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			n++
			q := vars.Replace(grafanaVars.Replace(tg.Expr))
			if strings.Contains(q, "$") {
				t.Errorf("panel %q: a variable left in %s", p.Title, q)
				continue
			}
			r := prom.queryRange(t, q, begin, time.Now(), 2*time.Second)
			if len(r.Result) == 0 {
				t.Errorf("panel %q: no data for %s", p.Title, q)
			}
		}
	}
	t.Logf("dashboard: %d panel queries, each returned data", n)
}
