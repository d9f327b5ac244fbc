package ntpd

import (
	"errors"
	"strings"
)

// ParseVars decodes the text of a mode 6 read-variables reply:
// `name=value, name="quoted, value",\r\nname=value`. ntpd separates items
// with commas and breaks lines with CR LF; a value that starts with a double
// quote runs to the next double quote and may hold commas. An item without
// "=" is a name with an empty value. Items whose name is not printable
// ASCII without spaces are skipped: ntpsec 1.2.2 sends uninitialised octets
// inside filtdelay, filtoffset and filtdisp, and one stray comma there must
// not cost the whole reply. The first occurrence of a name wins. It fails
// only when no variable at all could be read.
//
// facebook/time's control.NormalizeData splits on every comma and logs
// through the global logger, so this package decodes the text itself.
func ParseVars(data []byte) (map[string]string, error) {
	vars := map[string]string{}
	s := string(data)
	for len(s) > 0 {
		var name, value string
		name, value, s = nextItem(s)
		name = strings.TrimSpace(name)
		if !validName(name) {
			continue
		}
		if _, dup := vars[name]; !dup {
			vars[name] = value
		}
	}
	if len(vars) == 0 {
		return nil, errors.New("no variables in the reply")
	}
	return vars, nil
}

// nextItem cuts the first item off s: its name, its value (unquoted and
// trimmed) and the text after its comma.
func nextItem(s string) (name, value, rest string) {
	i := strings.IndexAny(s, "=,")
	if i < 0 {
		return s, "", ""
	}
	if s[i] == ',' {
		return s[:i], "", s[i+1:]
	}
	name, s = s[:i], s[i+1:]
	trimmed := strings.TrimLeft(s, " \t\r\n")
	if strings.HasPrefix(trimmed, `"`) {
		if end := strings.IndexByte(trimmed[1:], '"'); end >= 0 {
			value = trimmed[1 : 1+end]
			after := trimmed[2+end:]
			if j := strings.IndexByte(after, ','); j >= 0 {
				return name, value, after[j+1:]
			}
			return name, value, ""
		}
	}
	if j := strings.IndexByte(s, ','); j >= 0 {
		value, rest = s[:j], s[j+1:]
	} else {
		value = s
	}
	return name, strings.Trim(value, " \t\r\n\x00"), rest
}

// validName accepts what ntpd uses as variable names: printable ASCII
// without spaces, quotes or "=".
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c > 0x7e || c == '"' || c == '=' {
			return false
		}
	}
	return true
}

// clip shortens text quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
