package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

func get(t testing.TB, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestHealthStatusCodes(t *testing.T) {
	tests := []struct {
		name      string
		unhealthy []health.Status
		status    health.Status
		want      int
	}{
		{"ok", nil, health.OK, http.StatusOK},
		{"warning", nil, health.Warning, http.StatusOK},
		{"critical", nil, health.Critical, http.StatusServiceUnavailable},
		{"unknown", nil, health.Unknown, http.StatusServiceUnavailable},
		{"warning unhealthy by config", []health.Status{health.Warning, health.Critical, health.Unknown}, health.Warning, http.StatusServiceUnavailable},
		{"ok never unhealthy by config", []health.Status{health.Warning, health.Critical, health.Unknown}, health.OK, http.StatusOK},
		{"empty list: critical served 200", []health.Status{}, health.Critical, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewState(10)
			rep := fixedReport()
			rep.Status = tt.status
			st.Update(rep)
			h := New(st, Options{Unhealthy: tt.unhealthy})

			rec := get(t, h, http.MethodGet, "/health")
			if rec.Code != tt.want {
				t.Fatalf("GET /health with %s: code %d, want %d", tt.status, rec.Code, tt.want)
			}
			want, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.Body.String(); got != string(want) {
				t.Errorf("body is not json.Marshal of the report:\n got %s\nwant %s", got, want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}

			head := get(t, h, http.MethodHead, "/health")
			if head.Code != tt.want || head.Body.Len() != 0 {
				t.Errorf("HEAD /health: code %d, %d body bytes; want %d and none", head.Code, head.Body.Len(), tt.want)
			}
		})
	}
}

func TestHealthBeforeFirstReport(t *testing.T) {
	h := New(NewState(10), Options{Unhealthy: []health.Status{}}) // even when nothing is "unhealthy"
	rec := get(t, h, http.MethodGet, "/health")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("code %d, want 503", rec.Code)
	}
	var rep health.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("body is not a report: %v\n%s", err, rec.Body)
	}
	if rep.Status != health.Unknown || !strings.Contains(rep.Summary, "no check has run yet") {
		t.Errorf("got status %s summary %q; want UNKNOWN saying no check has run yet", rep.Status, rep.Summary)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	st := NewState(10)
	st.Update(fixedReport())
	h := New(st, Options{})
	for _, path := range []string{"/health", "/metrics", "/"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
			rec := get(t, h, m, path)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: code %d, want 405", m, path, rec.Code)
			}
			if a := rec.Header().Get("Allow"); a != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q, want \"GET, HEAD\"", m, path, a)
			}
		}
	}
	if rec := get(t, h, http.MethodGet, "/nothing-here"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /nothing-here: code %d, want 404", rec.Code)
	}
}

// TestSecretsNotWritten: the server writes push targets exactly as given
// (redacted by the notifier) and nothing else about them.
func TestSecretsNotWritten(t *testing.T) {
	const token = "s3cretT0ken42"
	const redacted = "kuma https://kuma.example/api/push/****"
	st := NewState(10)
	rep := fixedReport()
	rep.Push = []health.PushResult{{Target: redacted, OK: false, Sent: "down", Attempts: 3,
		Error: "kuma push: 500 Internal Server Error: check the Kuma server", Time: fixedTime}}
	st.Update(rep)
	st.RecordPush(rep.Push)
	st.RecordPush([]health.PushResult{{Target: redacted, OK: true, Sent: "up", Attempts: 1, Time: fixedTime}})
	h := New(st, Options{})
	for _, path := range []string{"/health", "/metrics", "/"} {
		body := get(t, h, http.MethodGet, path).Body.String()
		if strings.Contains(body, token) {
			t.Errorf("%s contains the push token", path)
		}
		if strings.Contains(body, "/api/push/") && !strings.Contains(body, "/api/push/****") {
			t.Errorf("%s shows a push URL other than the redacted one", path)
		}
	}
	if body := get(t, h, http.MethodGet, "/health").Body.String(); !strings.Contains(body, `"target":"`+redacted+`"`) {
		t.Errorf("/health does not carry the target as given: %s", body)
	}
	if body := get(t, h, http.MethodGet, "/").Body.String(); !strings.Contains(body, redacted) {
		t.Errorf("status page does not show the target as given")
	}
}

// TestConcurrentUpdateAndScrape is meant for -race: the check loop writes
// while every route reads.
func TestConcurrentUpdateAndScrape(t *testing.T) {
	st := NewState(50)
	h := New(st, Options{})
	reports := historyReports(200, fixedTime)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i, r := range reports {
			st.Update(r)
			if i%10 == 0 {
				st.RecordPush([]health.PushResult{{Target: "kuma ****", OK: i%20 == 0, Time: r.Time}})
			}
		}
	})
	for _, path := range []string{"/health", "/metrics", "/"} {
		wg.Go(func() {
			for range 40 {
				rec := get(t, h, http.MethodGet, path)
				if rec.Code != http.StatusOK && rec.Code != http.StatusServiceUnavailable {
					t.Errorf("GET %s: code %d", path, rec.Code)
					return
				}
				if _, err := io.Copy(io.Discard, rec.Body); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(st.History()); n != 50 {
		t.Errorf("history holds %d samples, want 50", n)
	}
}

func TestStateHistoryRing(t *testing.T) {
	st := NewState(3)
	if _, ok := st.Latest(); ok {
		t.Fatal("Latest reports a report before the first Update")
	}
	for i := range 5 {
		rep := fixedReport()
		rep.Time = fixedTime.Add(timeStep(i))
		rep.Daemon = &observe.Daemon{Kind: "chrony", Tracking: observe.Tracking{SystemOffset: float64(i), RootDispersion: 1}}
		if i == 3 {
			rep.Daemon = &observe.Daemon{Kind: "chrony", Error: "down"}
		}
		st.Update(rep)
	}
	h := st.History()
	if len(h) != 3 {
		t.Fatalf("history holds %d samples, want 3", len(h))
	}
	for i, s := range h {
		want := i + 2
		if !s.Time.Equal(fixedTime.Add(timeStep(want))) {
			t.Errorf("sample %d is from round %v, want round %d (oldest first)", i, s.Time, want)
		}
		if valid := want != 3; s.Valid != valid {
			t.Errorf("sample %d valid=%v, want %v", i, s.Valid, valid)
		}
		if s.Valid && (s.Offset != float64(want) || s.MaxError != float64(want)+1) {
			t.Errorf("sample %d: offset %g max error %g, want %d and %d", i, s.Offset, s.MaxError, want, want+1)
		}
	}
	latest, _ := st.Latest()
	if !latest.Time.Equal(fixedTime.Add(timeStep(4))) {
		t.Errorf("Latest is from %v, want the last update", latest.Time)
	}
}

func TestRecordPush(t *testing.T) {
	st := NewState(1)
	t1, t2 := fixedTime, fixedTime.Add(timeStep(1))
	st.RecordPush([]health.PushResult{{OK: true, Time: t2}, {OK: false, Time: t2}})
	st.RecordPush([]health.PushResult{{OK: true, Time: t1}, {OK: false}})
	p := st.Push()
	if p.Success != 2 || p.Failure != 2 {
		t.Errorf("success %d failure %d, want 2 and 2", p.Success, p.Failure)
	}
	if !p.LastSuccess.Equal(t2) {
		t.Errorf("last success %v, want the latest success %v", p.LastSuccess, t2)
	}
	if len(p.Last) != 2 || !p.Last[0].Time.Equal(t1) {
		t.Errorf("Last = %+v, want the second call's results", p.Last)
	}
}

func BenchmarkHealth(b *testing.B) {
	st := NewState(100)
	st.Update(fixedReport())
	h := New(st, Options{})
	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("code %d", rec.Code)
		}
	}
}

func TestNewServerLimits(t *testing.T) {
	s := NewServer("127.0.0.1:0", http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Errorf("a timeout is unset: %+v", s)
	}
	if s.MaxHeaderBytes <= 0 || s.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes %d, want a cap below the 1 MiB default", s.MaxHeaderBytes)
	}
	if s.Addr != "127.0.0.1:0" {
		t.Errorf("Addr %q", s.Addr)
	}
}

// TestHealthOverLoopback runs /health through a real listener with
// NewServer's settings, and HEAD on every route.
func TestHealthOverLoopback(t *testing.T) {
	st := NewState(1)
	st.Update(fixedReport())
	srv := newLoopbackServer(t, New(st, Options{}))
	client := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/health", "/metrics", "/"} {
		resp, err := client.Head(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("HEAD %s: %s", path, resp.Status)
		}
	}
	resp, err := client.Get(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// A generic decode: observe.Leap has no UnmarshalText (yet).
	var rep map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || rep["status"] != "WARNING" {
		t.Errorf("GET /health over loopback: status %v, err %v", rep["status"], err)
	}
}

// /health carries the latest push round beside the latest report, before
// and after the next check.
func TestHealthShowsLatestPush(t *testing.T) {
	st := NewState(10)
	h := New(st, Options{})
	r := fixedReport()
	r.Push = nil // as the daemon hands it over: pushed later, beside the checks
	st.Update(r)
	failed := health.PushResult{Target: "kuma https://kuma.example/api/push/****", Sent: "up", Attempts: 3, Error: "500 Internal Server Error"}
	st.RecordPush([]health.PushResult{failed})
	for _, step := range []string{"after the push", "after the next check"} {
		var got health.Report
		if err := json.Unmarshal(get(t, h, http.MethodGet, "/health").Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Push) != 1 || got.Push[0].Error != failed.Error || got.Push[0].OK {
			t.Errorf("%s: push %+v, want the failed round", step, got.Push)
		}
		st.Update(r)
	}
}

// TestHealthGolden pins the /health JSON, the documented schema that Kuma's
// JSON-query monitor and scripts read (go test ./internal/server -update
// rewrites it; a change here is a change of the public schema).
func TestHealthGolden(t *testing.T) {
	st := NewState(10)
	st.Update(fixedReport())
	rec := get(t, New(st, Options{}), http.MethodGet, "/health")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	golden(t, "health.golden", pretty.String()+"\n")
}
