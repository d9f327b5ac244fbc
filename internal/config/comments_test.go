package config

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestWithoutCommentText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"whole-line comments", "# a\nkey: v # kept\n  # b c\n\t# d\n#\n", "#\nkey: v # kept\n  #\n\t#\n#\n"},
		{"CRLF", "# a\r\nkey: v\r\n", "#\r\nkey: v\r\n"},
		{"no final line break", "key: v\n# a", "key: v\n#"},
		{"quotes that close on their line", "a: \"\" # x\n# b\nc: 'it''s'\n# d\n", "a: \"\" # x\n#\nc: 'it''s'\n#\n"},
		{"block scalar", "# a\nbody: |\n  # text\n# b\n", "#\nbody: |\n  # text\n# b\n"},
		{"folded scalar", "body: >-\n  # text\n", "body: >-\n  # text\n"},
		{"double quotes open", "# a\nbody: \"x\n  # text\"\n", "#\nbody: \"x\n  # text\"\n"},
		{"single quote open", "body: 'x\n  # text'\n", "body: 'x\n  # text'\n"},
		{"escaped quote", "body: \"x\\\"\n  # text\"\n", "body: \"x\\\"\n  # text\"\n"},
		{"both quotes", "body: '{\"a\": 1}'\n# text\n", "body: '{\"a\": 1}'\n# text\n"},
		{"lone CR", "# a\rkey: v\n", "# a\rkey: v\n"},
		{"LS", "# a\u2028key: v\n", "# a\u2028key: v\n"},
		{"NEL", "# a\u0085key: v\n", "# a\u0085key: v\n"},
		{"control character", "# a\x01\nkey: v\n", "# a\x01\nkey: v\n"},
		{"not UTF-8", "# a\xff\nkey: v\n", "# a\xff\nkey: v\n"},
		{"UTF-16", "\xff\xfe#\x00 \x00a\x00\n\x00", "\xff\xfe#\x00 \x00a\x00\n\x00"},
		{"replacement character", "# \uFFFD\nkey: v\n", "#\nkey: v\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(withoutCommentText([]byte(tc.in))); got != tc.want {
				t.Errorf("withoutCommentText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			sameYAML(t, []byte(tc.in))
		})
	}
	// The file the packages install: its comments are most of it.
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(withoutCommentText(data)); n > len(data)/4 {
		t.Errorf("%s: %d of %d bytes left, want at most a quarter", examplePath, n, len(data))
	}
	sameYAML(t, data)
}

// FuzzWithoutCommentText: whatever data holds, yaml.v3 reads the same
// documents, or the same error, with or without the comments' text.
func FuzzWithoutCommentText(f *testing.F) {
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"# a\nkey: v\n",
		"key: a\n  # b\n  c\n",
		"key: [a,\n  # b\n  c]\n",
		"key: \"a\n  # b\n  c\"\n",
		"key: |\n  a\n  # b\n",
		"- a\n# b\n- c\n---\n# d\ne: f\n",
		"a: 1\n...\n# b\n--- # c\nd: 2\n",
		"\t# a\nkey: v\n",
		"key: v # a 'b\n# c\n",
		"? # a\n  b\n: c\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameYAML(t, data) })
}

// sameYAML fails t if yaml.v3 reads data and withoutCommentText(data)
// differently: other documents or another error.
func sameYAML(t *testing.T, data []byte) {
	t.Helper()
	want, got := readAllYAML(data), readAllYAML(withoutCommentText(data))
	if got != want {
		t.Errorf("yaml.v3 reads %q as\n%s\nand without the comments' text as\n%s", data, want, got)
	}
}

// readAllYAML prints every document yaml.v3 reads in data, without
// comments, and the error that ends them.
func readAllYAML(data []byte) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out += fmt.Sprintf("panic: %v", r)
		}
	}()
	var b bytes.Buffer
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; i < 100; i++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			break
		}
		printNode(&b, &n, 0, map[*yaml.Node]bool{})
	}
	return b.String()
}

func printNode(b *bytes.Buffer, n *yaml.Node, depth int, seen map[*yaml.Node]bool) {
	fmt.Fprintf(b, "%*s%d %d %q %q %q %d:%d", 2*depth, "", n.Kind, n.Style, n.Tag, n.Value, n.Anchor, n.Line, n.Column)
	if n.Alias != nil {
		fmt.Fprintf(b, " alias %d:%d", n.Alias.Line, n.Alias.Column)
	}
	b.WriteByte('\n')
	if seen[n] {
		return
	}
	seen[n] = true
	for _, c := range n.Content {
		printNode(b, c, depth+1, seen)
	}
}
