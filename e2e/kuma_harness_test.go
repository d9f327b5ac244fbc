package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// The Kuma rig: a private Uptime Kuma from the npm install that
// scripts/install-kuma.sh leaves in a cache directory, started on loopback
// with its own data directory, and driven through its socket.io API by
// kuma/kuma.js.

const (
	// kumaDefaultDir is where scripts/install-kuma.sh installs by default.
	kumaDefaultDir = "/var/cache/ntphealth-test/uptime-kuma"
	// kumaStartTimeout bounds Kuma's start: about 5 s measured from an
	// empty data directory (it creates and patches its SQLite database).
	kumaStartTimeout = 90 * time.Second
	// kumaDriverTimeout bounds one kuma.js call (its own limit is 20 s).
	kumaDriverTimeout = 30 * time.Second
	// kumaUser and kumaPass are the first user's; Kuma refuses a password
	// without letters and digits or shorter than 6 characters.
	kumaUser = "ntphealth"
	kumaPass = "e2e-kuma-pass-1"
)

// Kuma statuses as Kuma records them (src/util.js: DOWN 0, UP 1, PENDING 2).
const (
	kumaDown = 0
	kumaUp   = 1
)

// kumaInstall is the install found: Kuma's package directory and the
// node_modules that holds socket.io-client.
type kumaInstall struct {
	pkg         string
	nodeModules string
}

// findKuma finds a complete install in $NTPHEALTH_KUMA_DIR or the default
// directory. Without one it skips the test, or fails it when CI is set.
func findKuma(t *testing.T) kumaInstall {
	t.Helper()
	dir := os.Getenv("NTPHEALTH_KUMA_DIR")
	if dir == "" {
		dir = kumaDefaultDir
	}
	missing := func(why string) {
		t.Helper()
		testenv.Missing(t, fmt.Sprintf("uptime kuma: %s: run scripts/install-kuma.sh (it installs into $NTPHEALTH_KUMA_DIR, default %s)", why, kumaDefaultDir))
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node not found (apt-get install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		missing("no complete install in " + dir)
	}
	in := kumaInstall{
		pkg:         filepath.Join(dir, "node_modules", "uptime-kuma"),
		nodeModules: filepath.Join(dir, "node_modules"),
	}
	if _, err := os.Stat(filepath.Join(in.pkg, "server", "server.js")); err != nil {
		missing("install incomplete: " + err.Error())
	}
	return in
}

// kuma is one running Kuma.
type kuma struct {
	in      kumaInstall
	url     string // http://127.0.0.1:port
	logPath string
	token   string // session token (JWT) after login
}

// startKuma runs `node server/server.js` on a free loopback port with a
// private data directory, waits until it serves HTTP, creates the first
// user and logs in. Kuma is stopped when the test ends.
func startKuma(t *testing.T) *kuma {
	t.Helper()
	in := findKuma(t)
	var last error
	for range 3 {
		k, err := launchKuma(t, in)
		if err == nil {
			k.setup(t)
			return k
		}
		last = err
		if !strings.Contains(err.Error(), "EADDRINUSE") {
			break
		}
	}
	t.Fatalf("uptime kuma: %v", last)
	return nil
}

// launchKuma starts one Kuma process and waits for it.
func launchKuma(t *testing.T, in kumaInstall) (*kuma, error) {
	t.Helper()
	port, err := freeTCPPort()
	if err != nil {
		return nil, err
	}
	dataDir := t.TempDir()
	// {"type":"sqlite"} skips the page that asks which database to use.
	if err := os.WriteFile(filepath.Join(dataDir, "db-config.json"), []byte(`{"type":"sqlite"}`), 0o600); err != nil {
		return nil, err
	}
	k := &kuma{in: in, url: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: filepath.Join(dataDir, "kuma.log")}
	logf, err := os.Create(k.logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()

	// Kuma opens ./db/... and ./server/model relative to its package
	// directory; DATA_DIR must end in "/" (server/database.js).
	cmd := exec.Command("node", "server/server.js")
	cmd.Dir = in.pkg
	cmd.Env = append(os.Environ(),
		"DATA_DIR="+dataDir+"/",
		"UPTIME_KUMA_HOST=127.0.0.1",
		fmt.Sprintf("UPTIME_KUMA_PORT=%d", port),
		"NODE_ENV=production",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start node server/server.js in %s: %w", in.pkg, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("uptime kuma log (%s), last lines:\n%s", k.logPath, k.logTail(40))
		}
	})

	deadline := time.Now().Add(kumaStartTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return nil, fmt.Errorf("node server/server.js exited at start:\n%s", k.logTail(30))
		default:
		}
		resp, err := client.Get(k.url + "/api/entry-page")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return k, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, fmt.Errorf("no answer on %s within %s:\n%s", k.url, kumaStartTimeout, k.logTail(30))
}

// freeTCPPort returns a loopback TCP port that was free a moment ago.
func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last n lines of Kuma's log.
func (k *kuma) logTail(n int) string {
	b, err := os.ReadFile(k.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// drive runs kuma.js with args and decodes its JSON answer into out.
func (k *kuma) drive(t *testing.T, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kumaDriverTimeout)
	defer cancel()
	auth := []string{"--user", kumaUser, "--pass", kumaPass}
	if k.token != "" {
		auth = []string{"--token", k.token}
	}
	full := append([]string{filepath.Join("kuma", "kuma.js"), "--url", k.url}, auth...)
	cmd := exec.CommandContext(ctx, "node", append(full, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+k.in.nodeModules)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kuma.js %s: %v\n%s", args[0], err, stderr.Bytes())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("kuma.js %s: %v in %q", args[0], err, stdout.Bytes())
	}
}

// setup creates the first user and keeps a session token: later calls log
// in by token, which Kuma does not rate-limit (password logins: 20 a minute).
func (k *kuma) setup(t *testing.T) {
	t.Helper()
	var ok struct{ OK bool }
	k.drive(t, &ok, "setup")
	var login struct{ Token string }
	k.drive(t, &login, "login")
	if login.Token == "" {
		t.Fatal("kuma.js login: no token")
	}
	k.token = login.Token
}

// pushMonitor is a Push monitor: Kuma expects a heartbeat on
// /api/push/<token> every Interval.
type pushMonitor struct {
	ID    int    `json:"monitorID"`
	Token string `json:"pushToken"`
}

// kumaInterval is the push monitors' heartbeat interval: Kuma's minimum
// (MIN_INTERVAL_SECOND in src/util.js).
const kumaInterval = 20 * time.Second

// addPushMonitor adds a Push monitor with interval kumaInterval and no
// retries: a missed heartbeat is recorded DOWN at once.
func (k *kuma) addPushMonitor(t *testing.T, name string) pushMonitor {
	t.Helper()
	var m pushMonitor
	k.drive(t, &m, "add-push-monitor", "--name", name, "--interval", fmt.Sprint(int(kumaInterval.Seconds())))
	if m.ID == 0 || m.Token == "" {
		t.Fatalf("kuma.js add-push-monitor: %+v", m)
	}
	return m
}

// pushURL is the monitor's push URL as Kuma's page shows it, without the
// "?status=up&msg=OK&ping=" tail.
func (k *kuma) pushURL(m pushMonitor) string { return k.url + "/api/push/" + m.Token }

// beat is one heartbeat as Kuma recorded it.
type beat struct {
	Status int      `json:"status"`
	Msg    string   `json:"msg"`
	Ping   *int64   `json:"ping"` // nil: Kuma stored no value
	Time   kumaTime `json:"time"`
}

func (b beat) String() string {
	ping := "null"
	if b.Ping != nil {
		ping = fmt.Sprint(*b.Ping)
	}
	return fmt.Sprintf("{status %d, msg %q, ping %s, time %s}", b.Status, b.Msg, ping, time.Time(b.Time).Format(time.RFC3339Nano))
}

// kumaTime is Kuma's heartbeat time: UTC, "2026-01-02 15:04:05.000".
type kumaTime time.Time

func (k *kumaTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, time.UTC)
	if err != nil {
		return fmt.Errorf("kuma heartbeat time %q: %w", s, err)
	}
	*k = kumaTime(t)
	return nil
}

// beats returns the monitor's recorded heartbeats, oldest first.
func (k *kuma) beats(t *testing.T, m pushMonitor) []beat {
	t.Helper()
	var bs []beat
	k.drive(t, &bs, "beats", fmt.Sprint(m.ID))
	return bs
}

// waitBeat polls the monitor's heartbeats until one matches and returns
// it; after timeout it fails the test, listing what Kuma recorded.
func (k *kuma) waitBeat(t *testing.T, m pushMonitor, timeout time.Duration, what string, match func(beat) bool) beat {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		bs := k.beats(t, m)
		for _, b := range bs {
			if match(b) {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("uptime kuma recorded no %s on monitor %d within %s; it recorded %v", what, m.ID, timeout, bs)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
