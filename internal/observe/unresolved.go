package observe

// Unresolved is a source name the daemon has not resolved to an address yet
// (no DNS, or a name that does not exist). chronyd keeps placeholder
// sources for it, which chronyc sources hides unless -a; it retries the
// name at growing intervals.
type Unresolved struct {
	// Name is the name as configured ("2.debian.pool.ntp.org").
	Name string `json:"name"`
	// Directive is how the name is configured: "pool", "server" or "peer".
	Directive string `json:"directive"`
	// Placeholders is how many source slots wait for the name.
	Placeholders int `json:"placeholders"`
}

// String says what it is: "pool 2.debian.pool.ntp.org: name not resolved".
func (u Unresolved) String() string {
	return u.Directive + " " + u.Name + ": name not resolved"
}
