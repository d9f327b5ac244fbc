package config

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ntphealth/ntphealth/internal/notify"
)

// decoder overlays a yaml.Node tree on a Go value. It walks the tree itself
// (rather than yaml.Node.Decode with KnownFields) so that every error can
// name the key path and the line, and it goes on after an error so that one
// run shows every problem.
type decoder struct {
	file    string
	errs    *errorList
	origins map[string]string
	// secrets are the values of every key tagged secret:"true", even one
	// given twice, so that no error repeats them.
	secrets []string
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// sectionHolder is a struct with sections beyond its fields: Config's
// pluggable sources.
type sectionHolder interface {
	section(key string) (reflect.Value, bool)
	sectionNames() []string
}

// defaulter is implemented by list entries that start from defaults
// (Push starts from DefaultPush).
type defaulter interface{ applyDefaults() }

// pos is "file:line" for a node.
func (d *decoder) pos(n *yaml.Node) string { return fmt.Sprintf("%s:%d", d.file, n.Line) }

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	d.errs.add(d.pos(n), key, format, args...)
}

// resolve follows an alias (*name) to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// kindName words a node's kind for "expected X, got Y".
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value lines)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	default:
		return "something else"
	}
}

// value overlays node n on v. A null value (an empty "key:") leaves v as it
// is, so it means "the default".
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	t := v.Type()
	switch {
	case t == durationType:
		d.duration(n, v, path)
		return
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		if !d.scalar(n, path, "a single value") {
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.fail(n, path, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, v.Elem(), path)
	case reflect.String:
		if d.scalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		d.boolean(n, v, path)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.integer(n, v, path)
	case reflect.Float32, reflect.Float64:
		d.float(n, v, path)
	default:
		d.fail(n, path, "ntphealth cannot read a %s here (a bug: please report it)", t)
	}
}

// scalar checks that n is a single value.
func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected %s, got %s", want, kindName(n))
		return false
	}
	return true
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a duration such as 1ms") {
		return
	}
	s := strings.TrimSpace(n.Value)
	dur, err := time.ParseDuration(s)
	if err != nil {
		hint := "use Go duration syntax: 500us, 1ms, 2s"
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			hint = "a bare number has no unit; " + hint
		}
		d.fail(n, path, "invalid duration %s (%s)", quote(n.Value), hint)
		return
	}
	if dur < 0 {
		d.fail(n, path, "negative duration %s (a limit or interval is a length of time: drop the minus sign)", quote(n.Value))
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) boolean(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "true or false") {
		return
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		v.SetBool(true)
	case "false", "no", "off":
		v.SetBool(false)
	default:
		d.fail(n, path, "invalid value %s (use true or false)", quote(n.Value))
	}
}

func (d *decoder) integer(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a whole number") {
		return
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil || v.OverflowInt(i) {
		d.fail(n, path, "invalid whole number %s (write digits only, e.g. 4)", quote(n.Value))
		return
	}
	v.SetInt(i)
}

func (d *decoder) float(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a number") {
		return
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || v.OverflowFloat(f) {
		d.fail(n, path, "invalid number %s (write a finite number, e.g. 10 or 0.5)", quote(n.Value))
		return
	}
	v.SetFloat(f)
}

// yamlKeys maps the yaml names of a struct's fields to their index path
// (reflect.Value.FieldByIndex), in declaration order. Fields tagged "-" and
// unexported fields have none; an untagged field is its lower-cased name,
// as yaml.v3 does; the keys of a field tagged ",inline" are the struct's
// own (a config section embeds its health policy that way).
func yamlKeys(t reflect.Type) (names []string, index map[string][]int) {
	index = map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			inner, innerIndex := yamlKeys(f.Type)
			for _, n := range inner {
				names = append(names, n)
				index[n] = append([]int{i}, innerIndex[n]...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		names = append(names, name)
		index[name] = []int{i}
	}
	return names, index
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// entries walks the key/value pairs of a mapping, refusing keys that are
// not single values and keys given twice.
func (d *decoder) entries(n *yaml.Node, path string, each func(k, v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "a key must be a single word, got %s", kindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, join(path, k.Value), "key given twice (first at line %d): remove one", first)
			continue
		}
		seen[k.Value] = k.Line
		each(k, val)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected %s, got %s", kindName(&yaml.Node{Kind: yaml.MappingNode}), kindName(n))
		return
	}
	names, index := yamlKeys(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), resolve(n.Content[i+1])
		if f, ok := index[k.Value]; ok && v.Type().FieldByIndex(f).Tag.Get("secret") == "true" && val.Kind == yaml.ScalarNode {
			d.secrets = append(d.secrets, val.Value, strings.TrimSpace(val.Value))
			d.secrets = append(d.secrets, notify.SecretsIn(val.Value)...)
		}
	}
	var sections sectionHolder
	if v.CanAddr() {
		sections, _ = v.Addr().Interface().(sectionHolder)
	}
	if sections != nil {
		names = append(names, sections.sectionNames()...)
	}
	d.entries(n, path, func(k, val *yaml.Node) {
		i, ok := index[k.Value]
		if !ok {
			if sections != nil {
				if sec, ok := sections.section(k.Value); ok {
					key := join(path, k.Value)
					d.origins[key] = d.pos(k)
					d.value(val, sec, key)
					return
				}
			}
			d.fail(k, path, "%s", unknownKey(k.Value, names))
			return
		}
		key := join(path, k.Value)
		d.origins[key] = d.pos(k)
		d.value(val, v.FieldByIndex(i), key)
	})
}

// list fills a slice from a sequence. A single item (a mapping for push, a
// value for ntp or unhealthy) is taken as a list of one.
func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	out := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		e := out.Index(i)
		if df, ok := e.Addr().Interface().(defaulter); ok {
			df.applyDefaults()
		}
		key := fmt.Sprintf("%s[%d]", path, i)
		d.origins[key] = d.pos(resolve(item))
		d.value(item, e, key)
	}
	v.Set(out)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping (key: value lines), got %s", kindName(n))
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.fail(n, path, "ntphealth cannot read a %s here (a bug: please report it)", t)
		return
	}
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	d.entries(n, path, func(k, val *yaml.Node) {
		key := join(path, k.Value)
		d.origins[key] = d.pos(k)
		e := reflect.New(t.Elem()).Elem()
		d.value(val, e, key)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), e)
	})
	v.Set(m)
}
