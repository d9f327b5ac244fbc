package notifytest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// KumaPush is one push a KumaReceiver accepted: the query parameters Kuma
// reads (server/routers/api-router.js:41-:43).
type KumaPush struct{ Status, Msg, Ping string }

// KumaReceiver is a local Uptime Kuma push endpoint for one token. It
// answers as Kuma does: KumaOK for a GET to /api/push/<token>, KumaNotFound
// for another token, KumaCannot for another method; and keeps the pushes it
// accepted.
type KumaReceiver struct {
	*httptest.Server
	token  string
	mu     sync.Mutex
	pushes []KumaPush
}

// NewKumaReceiver starts a receiver for token, closed when t ends.
func NewKumaReceiver(t testing.TB, token string) *KumaReceiver {
	t.Helper()
	k := &KumaReceiver{token: token}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			KumaCannot(r.Method, r.URL.Path).Write(w)
			return
		}
		if r.URL.Path != "/api/push/"+token {
			KumaNotFound().Write(w)
			return
		}
		q := r.URL.Query()
		k.mu.Lock()
		k.pushes = append(k.pushes, KumaPush{q.Get("status"), q.Get("msg"), q.Get("ping")})
		k.mu.Unlock()
		KumaOK().Write(w)
	}))
	t.Cleanup(k.Close)
	return k
}

// PushURL is the push URL as Kuma's monitor page shows it, with its default
// query.
func (k *KumaReceiver) PushURL() string {
	return k.URL + "/api/push/" + k.token + "?status=up&msg=OK&ping="
}

// Pushes is a copy of the pushes accepted so far.
func (k *KumaReceiver) Pushes() []KumaPush {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.pushes)
}

// Last is the newest push; t fails if there is none.
func (k *KumaReceiver) Last(t testing.TB) KumaPush {
	t.Helper()
	p := k.Pushes()
	if len(p) == 0 {
		t.Fatal("Kuma received no push")
	}
	return p[len(p)-1]
}
