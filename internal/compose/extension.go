// The x-chainctl extension of a compose service: the chain's edges (calls), which compose itself ignores.

package compose

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/types"
)

// extensionKey is the service extension chainctl reads.
const extensionKey = "x-chainctl"

// calls reads x-chainctl: {calls: [b, "c:9000"]}: the services this one
// calls, on topology.DefaultCallPort unless a port is given.
func (p *problems) calls(pr *types.Project, s types.ServiceConfig, at []step) []topology.Call {
	raw, ok := s.Extensions[extensionKey]
	if !ok {
		return nil
	}
	xat := sub(at, key(extensionKey))
	ext, ok := raw.(map[string]any)
	if !ok {
		p.at(xat, "want a mapping such as {calls: [b]}, got %s", describe(raw))
		return nil
	}
	var out []topology.Call
	for _, k := range sortedKeys(ext) {
		if k != "calls" {
			p.at(sub(xat, key(k)), "unknown x-chainctl key %q (known: calls)", k)
			continue
		}
		list, ok := ext[k].([]any)
		if !ok {
			p.at(sub(xat, key(k)), "want a list of service or service:port, got %s", describe(ext[k]))
			continue
		}
		for i, e := range list {
			if c, ok := p.call(pr, s.Name, e, sub(xat, key(k), index(i))); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// call reads one service[:port] entry and checks the service is there.
func (p *problems) call(pr *types.Project, from string, e any, at []step) (topology.Call, bool) {
	s, ok := e.(string)
	if !ok {
		p.at(at, "want service or service:port, got %s", describe(e))
		return topology.Call{}, false
	}
	c := topology.Call{Service: s, Port: topology.DefaultCallPort}
	if svc, port, found := strings.Cut(s, ":"); found {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			p.at(at, "%q: want service or service:port (port 1 to 65535)", s)
			return c, false
		}
		c = topology.Call{Service: svc, Port: n}
	}
	switch _, defined := pr.Services[c.Service]; {
	case c.Service == from:
		p.at(at, "service %q calls itself", from)
	case !defined:
		p.at(at, "unknown service %q (services: %s)", c.Service, strings.Join(pr.ServiceNames(), ", "))
	default:
		return c, true
	}
	return c, false
}

// describe names what an extension value is, for "want X, got Y".
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%v", v)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
