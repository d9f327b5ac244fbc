package notifytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestExpressETag checks ExpressETag against the ETags a real Kuma
// 2.0.0-dev.0 sent (curl -i, recorded in kuma.go's answers).
func TestExpressETag(t *testing.T) {
	for body, want := range map[string]string{
		`{"ok":true}`: `W/"b-Ai2R8hgEarLmHKwesT1qcY913ys"`,
		`{"ok":false,"msg":"Monitor not found or not active."}`: `W/"35-o/IDK62PUcq9o4JqO6n59eoZfx0"`,
	} {
		if got := ExpressETag(body); got != want {
			t.Errorf("ExpressETag(%s) = %s, want %s", body, got, want)
		}
	}
}

// TestAnswerOnTheWire checks that an Answer reaches a client with its
// status, its headers as spelt, its Content-Length and its body.
func TestAnswerOnTheWire(t *testing.T) {
	srv := httptest.NewServer(KumaNotFound())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	want := map[string]string{
		"X-Frame-Options": "SAMEORIGIN",
		"Content-Type":    "application/json; charset=utf-8",
		"Etag":            `W/"35-o/IDK62PUcq9o4JqO6n59eoZfx0"`,
		"Content-Length":  "53",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if resp.StatusCode != 404 || string(b) != `{"ok":false,"msg":"Monitor not found or not active."}` {
		t.Errorf("got %d %q", resp.StatusCode, b)
	}
}
