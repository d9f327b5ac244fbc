package chrony

import (
	fbchrony "github.com/facebook/time/ntp/chrony"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// isUnresolved reports one of chronyd's placeholder sources: a configured
// name not resolved yet, whose address is an ID instead of an IP
// (addressing.h IPADDR_ID; chronyc prints it ID#NNNNNNNNNN). chronyc
// sources, sourcestats and selectdata skip them unless -a (client.c:
// "if (!all && ip_addr.family == IPADDR_ID) continue").
func isUnresolved(ip *fbchrony.IPAddr) bool { return ip != nil && ip.Family == fbchrony.IPAddrID }

// unresolvedNames folds the placeholders into one entry per name, in
// chronyd's order. chronyd 4.3 keeps 2 × maxsources placeholders for a
// pool (8 by default, measured) and one for a server or peer, and the
// protocol does not say which directive made them: several placeholders,
// or one beside resolved sources of the same name, mean a pool.
func unresolvedNames(placeholders, sources []observe.Source) []observe.Unresolved {
	var out []observe.Unresolved
	at := map[string]int{}
	for _, p := range placeholders {
		i, ok := at[p.Name]
		if !ok {
			i = len(out)
			at[p.Name] = i
			out = append(out, observe.Unresolved{Name: p.Name, Directive: "server"})
			if p.Mode == observe.ModePeer {
				out[i].Directive = "peer"
			}
		}
		out[i].Placeholders++
	}
	for i := range out {
		if out[i].Directive == "peer" {
			continue
		}
		if out[i].Placeholders > 1 || hasName(sources, out[i].Name) {
			out[i].Directive = "pool"
		}
	}
	return out
}

func hasName(sources []observe.Source, name string) bool {
	for _, s := range sources {
		if s.Name == name {
			return true
		}
	}
	return false
}
