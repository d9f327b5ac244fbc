package notify

import (
	"cmp"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Kind is one push service, described once, in its own file, and
// registered from init: its name, the settings only it reads, where its URLs
// hold their secret, what its URLs must look like, and how to build its
// notifier. The config file (Settings.Problems), the redactor (Redact,
// RedactInput) and New learn every kind from here; nothing else lists them.
type Kind struct {
	// Name is a target's kind: in the config ("kuma"); lower case.
	Name string
	// Rank orders the kinds in lists shown to people, such as the one in
	// the error for an unknown kind: the README's order, lowest first.
	Rank int
	// Options are the settings (by key, as Settings' yaml tags name them)
	// that only this kind reads; a target of another kind that sets one is
	// refused. url, warning, ping, ping_unit, timeout and retries are every
	// kind's.
	Options []string
	// SecretOption is the setting that holds the target's secret: "url"
	// (when empty) or "token" (Gatus, whose URL only names an endpoint).
	SecretOption string
	// SecretPath is the path prefix after which this kind's push URLs hold
	// their secret ("/api/push/<token>"), or "" when the secret has no fixed
	// place. RedactInput keeps a URL up to it and hides the rest.
	SecretPath string
	// SecretToEnd says that all of the path after SecretPath is the secret,
	// so Redact hides it whole; false when plain words follow the secret
	// (Gatus' /api/v1/endpoints/<key>/external), which Redact keeps.
	SecretToEnd bool
	// TemplateURL says the URL is a Go template (webhook): its actions are
	// not checked as URL text.
	TemplateURL bool
	// CheckURL says what else is wrong with a URL that has a scheme and a
	// host (shown is the URL as an error may show it), or ""; nil when New
	// is judge enough.
	CheckURL func(u *url.URL, shown string) string
	// Check says what else is wrong with a target of this kind, each
	// problem under its key; pure, nil for nothing.
	Check func(Settings) []Problem
	// New builds the notifier.
	New func(Config, Options) (Notifier, error)
}

// Problem is one thing wrong with a push target's settings.
type Problem struct {
	// Key is the setting, as the config file names it ("url",
	// "headers.X-Name"), or "" for the target as a whole.
	Key string
	// Message says what is wrong and what to write instead; it shows a
	// URL only redacted (RedactInput).
	Message string
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]Kind{}
)

// Register adds a push kind; its file calls it from init. It panics on an
// empty, upper-case or duplicate name or a missing New: mistakes no user
// could mend. That every option names a setting is TestKindOptionsAreSettings'
// to check, not every start's (it takes reflection).
func Register(k Kind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if k.Name == "" || k.Name != strings.ToLower(k.Name) || strings.ContainsAny(k.Name, " .,") || k.New == nil {
		panic(fmt.Sprintf("notify: bad registration %q", k.Name))
	}
	if _, dup := kinds[k.Name]; dup {
		panic(fmt.Sprintf("notify: kind %q registered twice", k.Name))
	}
	if k.SecretOption == "" {
		k.SecretOption = "url"
	}
	kinds[k.Name] = k
}

// Lookup returns the kind registered under name.
func Lookup(name string) (Kind, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// AllKinds returns every registered kind by Rank (then name).
func AllKinds() []Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Kind) int { return cmp.Or(cmp.Compare(a.Rank, b.Rank), strings.Compare(a.Name, b.Name)) })
	return out
}

// Kinds lists the names of the known target kinds, sorted.
func Kinds() []string {
	var names []string
	for _, k := range AllKinds() {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	return names
}

// kindNames lists the names of the known kinds by Rank.
func kindNames() string {
	var names []string
	for _, k := range AllKinds() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

// Templated reports whether targets of the kind are Go templates, which
// only a build with TemplatesLinked renders.
func Templated(kind string) bool {
	k, ok := Lookup(kind)
	return ok && k.TemplateURL
}

// reads reports whether the kind reads the setting key.
func (k Kind) reads(key string) bool { return slices.Contains(k.Options, key) }

// settingField finds the field of Settings whose yaml key is key.
func settingField(key string) (reflect.StructField, bool) {
	t := reflect.TypeFor[Settings]()
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
