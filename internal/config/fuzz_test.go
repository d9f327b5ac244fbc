package config

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ntphealth/ntphealth/internal/notify"
)

// FuzzParse: whatever the file holds, Parse never panics, never repeats a
// push URL or token in an error, and a config it accepts validates again.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"push:\n  url: https://kuma.example/api/push/" + token + "?status=up&msg=OK&ping=\n",
		"push:\n  - url: https://kuma.example/api/push/" + token + "/\n  - url: kuma.example/api/push/" + token + "\n",
		"push:\n  url: \" https://kuma.example/api/push/" + token + " x\"\n",
		"push:\n  url: https://kuma.example/api/push/" + token + "\n  timeout: " + token + "\n",
		"push:\n  url: &t " + token + "\n  warning: *t\n",
		"push:\n  url: " + token + "\n  url: " + token + "x\n",
		"push:\n  kind: gatus\n  url: https://g.example/api/v1/endpoints/k/external\n  token: " + token + "\n",
		"push:\n  kind: webhook\n  url: https://hook.example/{{.Status}}\n  headers: {X-A: b}\n",
		"push: {url: [a, b]}\n",
		"chrony: {address: \"unix://x\"}\nchecks: {offset_warn: 5 parsecs}\n",
		"checks:\n  offset_warn: 20ms\n  skew_warn_ppm: .nan\n  free_running: PANIC\n",
		"a: &a [*a]\n",
		"ntp: &n [*n]\npush: &p [*p]\n",
		"timeout: 1s\n---\ntimeout: 2s\n",
		"{\"interval\": \"1s\", \"unhealthy\": [\"OK\"]}",
		"\t- : :\n",
		// Pieces of the hint's own example: it stays readable.
		"push:\n  url: kuma.example/api/push/TOKEN\n",
		"push:\n  url: TOKEN\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "ntphealth.yaml")
		var texts []string
		if err != nil {
			texts = append(texts, err.Error())
		} else {
			texts = append(texts, c.Warnings...)
			if err := c.Validate(); err != nil {
				t.Fatalf("Parse accepted a config that Validate then refuses: %v", err)
			}
		}
		for _, s := range pushSecrets(data) {
			for _, text := range texts {
				// ntphealth's own example is not the user's secret,
				// even where the two share text.
				for _, ex := range []string{notify.ExampleURL} {
					text = strings.ReplaceAll(text, ex, "\x00")
				}
				if strings.Contains(text, s) {
					t.Fatalf("%q holds the secret %q", text, s)
				}
			}
		}
	})
}

// pushSecrets finds, independently of the decoder, the values of push url
// and token keys in a YAML document, and the token part of a Kuma URL:
// what must never be shown.
func pushSecrets(data []byte) []string {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil
	}
	var push *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if resolve(root.Content[i]).Value == "push" {
			push = resolve(root.Content[i+1])
			break // the decoder refuses a second push key without reading it
		}
	}
	if push == nil {
		return nil
	}
	items := []*yaml.Node{push}
	if push.Kind == yaml.SequenceNode {
		items = push.Content
	}
	var out []string
	for _, item := range items {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := resolve(item.Content[i]), resolve(item.Content[i+1])
			if (k.Value != "url" && k.Value != "token") || v.Kind != yaml.ScalarNode {
				continue
			}
			s := strings.TrimSpace(v.Value)
			out = append(out, s)
			if _, tok, ok := strings.Cut(s, "/api/push/"); ok {
				tok, _, _ = strings.Cut(tok, "?")
				tok, _, _ = strings.Cut(tok, "/")
				out = append(out, tok)
			}
		}
	}
	kept := out[:0]
	for _, s := range out {
		if len(s) >= minSecret && s != notify.Mask {
			kept = append(kept, s)
		}
	}
	return kept
}
