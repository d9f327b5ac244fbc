package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ntphealth/ntphealth/internal/syncbuf"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// The Prometheus rig: Debian's prometheus and prometheus-alertmanager
// (scripts/install-deps.sh), each started by the test on a free loopback
// port with a private data directory, and `ntphealth run` agents, all
// stopped when the test ends. shared/notes/prometheus.md has the start-up
// facts: Alertmanager is ready in about 0.3 s, Prometheus in 0.5 s, and
// its first scrape comes about 6 s after the start.

// procStartTimeout bounds the start of one process until it answers HTTP.
const procStartTimeout = 30 * time.Second

// proc is one process the test started, with its log.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  *syncbuf.Buffer
	done chan struct{}
}

// startProc runs bin with args, logging to a buffer; the process is killed
// (SIGKILL also reaches it if the test binary dies: Pdeathsig) and waited
// for when the test ends, and its last log lines are shown if it failed.
func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, log: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s (%s): %v", name, bin, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s log, last lines:\n%s", name, lastLogLines(p.log.String(), 25))
		}
	})
	return p
}

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("%s pid %d did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// waitHTTP polls url until it answers 200 (with client), or fails the
// test when the process exits or timeout passes.
func (p *proc) waitHTTP(client *http.Client, url string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			p.t.Fatalf("%s exited at start:\n%s", p.name, lastLogLines(p.log.String(), 30))
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no 200 from %s within %s (last: %s):\n%s", p.name, url, timeout, last, lastLogLines(p.log.String(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func lastLogLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// ---- Alertmanager ------------------------------------------------------

// alertmanager is a running prometheus-alertmanager.
type alertmanager struct {
	*proc
	addr string // 127.0.0.1:port
}

// startAlertmanager runs prometheus-alertmanager with one route to a webhook
// at hookURL, no gossip (--cluster.listen-address=), and a private data
// directory.
func startAlertmanager(t *testing.T, hookURL string) *alertmanager {
	t.Helper()
	bin := testenv.Tool(t, "prometheus-alertmanager", "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()
	// group_wait and group_interval of 1 s: the receiver hears of an alert
	// as soon as Alertmanager has it (their defaults, 30 s and 5 m, are
	// for people, not for measuring).
	cfg := writeFile(t, dir, "alertmanager.yml", fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s
        send_resolved: true
`, hookURL), 0o644)
	addr := testenv.FreeTCPAddr(t)
	am := &alertmanager{addr: addr}
	am.proc = startProc(t, "alertmanager", bin,
		"--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=info")
	am.waitHTTP(&http.Client{Timeout: time.Second}, "http://"+addr+"/-/ready", procStartTimeout)
	return am
}

// amAlert is one alert as Alertmanager's API v2 lists it.
type amAlert struct {
	Labels   map[string]string `json:"labels"`
	StartsAt time.Time         `json:"startsAt"`
	EndsAt   time.Time         `json:"endsAt"`
	Status   struct {
		State string `json:"state"`
	} `json:"status"`
}

// alerts lists the alerts Alertmanager holds (GET /api/v2/alerts: the
// active, silenced and inhibited ones; not the resolved).
func (a *alertmanager) alerts(t *testing.T) []amAlert {
	t.Helper()
	var out []amAlert
	getJSON(t, &http.Client{Timeout: 5 * time.Second}, "http://"+a.addr+"/api/v2/alerts", &out)
	return out
}

// ---- Prometheus ------------------------------------------------------------

// prometheus is a running Prometheus.
type prometheus struct {
	*proc
	url    string // http://127.0.0.1:port
	client *http.Client
}

// startPrometheus runs Debian's prometheus with the config cfg (a YAML
// text) and a private TSDB.
func startPrometheus(t *testing.T, cfg string) *prometheus {
	t.Helper()
	bin := testenv.Tool(t, "prometheus", "prometheus")
	dir := t.TempDir()
	path := writeFile(t, dir, "prometheus.yml", cfg, 0o644)
	addr := testenv.FreeTCPAddr(t)
	p := &prometheus{url: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second}}
	p.proc = startProc(t, "prometheus", bin,
		"--config.file="+path, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=info")
	p.waitHTTP(p.client, p.url+"/-/ready", procStartTimeout)
	return p
}

// promResult is the data of a /api/v1/query or query_range answer.
type promResult struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Value  []any             `json:"value"`  // instant: [time, "v"]
		Values [][]any           `json:"values"` // range
	} `json:"result"`
}

// query runs an instant query at now.
func (p *prometheus) query(t *testing.T, q string) promResult {
	t.Helper()
	var r promResult
	p.api(t, "/api/v1/query?"+url.Values{"query": {q}}.Encode(), &r)
	return r
}

// queryRange runs q over [start, end] at step.
func (p *prometheus) queryRange(t *testing.T, q string, start, end time.Time, step time.Duration) promResult {
	t.Helper()
	var r promResult
	p.api(t, "/api/v1/query_range?"+url.Values{
		"query": {q},
		"start": {fmt.Sprintf("%.3f", float64(start.UnixMilli())/1000)},
		"end":   {fmt.Sprintf("%.3f", float64(end.UnixMilli())/1000)},
		"step":  {fmt.Sprintf("%gs", step.Seconds())},
	}.Encode(), &r)
	return r
}

// promAlert is one alert of /api/v1/alerts.
type promAlert struct {
	Labels   map[string]string `json:"labels"`
	State    string            `json:"state"` // pending, firing
	ActiveAt time.Time         `json:"activeAt"`
	Value    string            `json:"value"`
}

// alerts lists the pending and firing alerts.
func (p *prometheus) alerts(t *testing.T) []promAlert {
	t.Helper()
	var r struct {
		Alerts []promAlert `json:"alerts"`
	}
	p.api(t, "/api/v1/alerts", &r)
	return r.Alerts
}

// promTarget is one active target of /api/v1/targets.
type promTarget struct {
	Labels    map[string]string `json:"labels"`
	ScrapeURL string            `json:"scrapeUrl"`
	Health    string            `json:"health"`
	LastError string            `json:"lastError"`
}

// targets lists the active targets.
func (p *prometheus) targets(t *testing.T) []promTarget {
	t.Helper()
	var r struct {
		ActiveTargets []promTarget `json:"activeTargets"`
	}
	p.api(t, "/api/v1/targets?state=active", &r)
	return r.ActiveTargets
}

// api GETs a Prometheus API path and decodes its data into out.
func (p *prometheus) api(t *testing.T, path string, out any) {
	t.Helper()
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	getJSON(t, p.client, p.url+path, &env)
	if env.Status != "success" {
		t.Fatalf("prometheus %s: %s: %s", path, env.Status, env.Error)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		t.Fatalf("prometheus %s: %v in %.300s", path, err, env.Data)
	}
}

// getJSON GETs url and decodes the JSON body into out.
func getJSON(t *testing.T, client *http.Client, url string, out any) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %s: %v in %.300s", url, resp.Status, err, body)
	}
}

// ---- ntphealth run agents ---------------------------------------------------

// agent is one `ntphealth run`.
type agent struct {
	*proc
	addr string // the --listen address
}

// startAgent runs `ntphealth run` on a free loopback port with a config
// that has the kernel probe off (this machine's own clock is not under
// test) and pushes to pushURL (a webhook), checking every second; extra
// args follow. It returns once /health answers (over TLS with client when
// the args name a web config).
func startAgent(t *testing.T, name, chronyAddr, pushURL string, client *http.Client, scheme string, extra ...string) *agent {
	t.Helper()
	cfg := writeConfig(t, "kernel:\n  enabled: \"false\"\npush:\n  - kind: webhook\n    url: "+pushURL+"\n")
	addr := testenv.FreeTCPAddr(t)
	args := append([]string{"run", "--config", cfg, "--chrony", chronyAddr, "--listen", addr,
		"--interval", "1s", "--log-format", "json"}, extra...)
	a := &agent{addr: addr}
	a.proc = startProc(t, "ntphealth run ("+name+")", ntphealthBin, args...)
	a.waitHTTP(client, scheme+"://"+addr+"/health", procStartTimeout)
	return a
}

// ---- TLS and basic auth -------------------------------------------------------

// webConfig is an exporter-toolkit web config with its certificate.
type webConfig struct {
	path     string // the web config file
	caFile   string // the self-signed certificate, for Prometheus' tls_config
	pool     *x509.CertPool
	user     string
	password string
}

// newWebConfig makes a self-signed ECDSA certificate for 127.0.0.1 and an
// exporter-toolkit web config that serves it and demands basic auth from
// user with password (stored as its bcrypt hash, as the format requires).
func newWebConfig(t *testing.T) webConfig {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "ntphealth e2e"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	w := webConfig{
		caFile:   writeFile(t, dir, "cert.pem", string(certPEM), 0o644),
		pool:     x509.NewCertPool(),
		user:     "prometheus",
		password: "e2e-scrape-secret",
	}
	w.pool.AppendCertsFromPEM(certPEM)
	keyFile := writeFile(t, dir, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})), 0o600)
	hash, err := bcrypt.GenerateFromPassword([]byte(w.password), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	w.path = writeFile(t, dir, "web.yml", fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  %s: %s\n",
		w.caFile, keyFile, w.user, hash), 0o600)
	return w
}

// client returns an HTTPS client that trusts the certificate and, if auth,
// sends the basic auth credentials.
func (w webConfig) client(auth bool) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: w.pool}}
	var rt http.RoundTripper = tr
	if auth {
		rt = basicAuth{user: w.user, password: w.password, next: tr}
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: rt}
}

type basicAuth struct {
	user, password string
	next           http.RoundTripper
}

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(r)
}

// ---- the Alertmanager webhook receiver ------------------------------------------

// hookReceiver records what Alertmanager delivers to its webhook: when each
// alert (alertname, instance) was first notified firing, and resolved.
type hookReceiver struct {
	url string

	mu       sync.Mutex
	firing   map[string]time.Time
	resolved map[string]time.Time
}

func startHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{firing: map[string]time.Time{}, resolved: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		var msg struct {
			Alerts []struct {
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if r.URL.Path == "/alerts" && json.NewDecoder(r.Body).Decode(&msg) == nil {
			h.mu.Lock()
			for _, a := range msg.Alerts {
				k := alertKey(a.Labels["alertname"], a.Labels["instance"])
				m := h.firing
				if a.Status == "resolved" {
					m = h.resolved
				}
				if _, ok := m[k]; !ok {
					m[k] = now
				}
			}
			h.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK) // also the agents' push webhook
	})}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	h.url = "http://" + ln.Addr().String()
	return h
}

// notified returns when the alert was first delivered firing (or resolved).
func (h *hookReceiver) notified(alertname, instance string, resolved bool) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.firing
	if resolved {
		m = h.resolved
	}
	at, ok := m[alertKey(alertname, instance)]
	return at, ok
}

func alertKey(alertname, instance string) string { return alertname + "\x00" + instance }
