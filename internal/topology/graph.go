// The dependency graph: service order, start levels, who calls whom, the entry, cycles, and renaming a project.

package topology

import (
	"sort"
)

// ServiceNames returns the service names, sorted.
func (t *Topology) ServiceNames() []string {
	out := make([]string, 0, len(t.Services))
	for name := range t.Services {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Dependencies returns what a service needs started first: the services it
// calls and those it depends_on, sorted and without repeats. Names the
// topology does not define are left out (a topology read back from the
// engine may lack a service).
func (t *Topology) Dependencies(name string) []string {
	svc, ok := t.Services[name]
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for _, c := range svc.Calls {
		set[c.Service] = true
	}
	for dep := range svc.DependsOn {
		set[dep] = true
	}
	out := make([]string, 0, len(set))
	for dep := range set {
		if _, defined := t.Services[dep]; defined && dep != name {
			out = append(out, dep)
		}
	}
	sort.Strings(out)
	return out
}

// Levels returns the start order: level 0 depends on nothing, each later
// level only on earlier ones, so the services of one level can start in
// parallel. a→b→c gives [[c] [b] [a]]. A cycle (which Parse rejects) does
// not hang it: the services on it share a level.
func (t *Topology) Levels() [][]string {
	level := map[string]int{}
	visiting := map[string]bool{}
	var depth func(string) int
	depth = func(name string) int {
		if l, ok := level[name]; ok {
			return l
		}
		if visiting[name] {
			return 0
		}
		visiting[name] = true
		l := 0
		for _, dep := range t.Dependencies(name) {
			l = max(l, depth(dep)+1)
		}
		visiting[name] = false
		level[name] = l
		return l
	}
	var out [][]string
	for _, name := range t.ServiceNames() {
		l := depth(name)
		for len(out) <= l {
			out = append(out, nil)
		}
		out[l] = append(out[l], name)
	}
	for _, lv := range out {
		sort.Strings(lv)
	}
	return out
}

// ReverseLevels is the teardown order: callers before the services they call.
func (t *Topology) ReverseLevels() [][]string {
	lv := t.Levels()
	out := make([][]string, len(lv))
	for i := range lv {
		out[len(lv)-1-i] = lv[i]
	}
	return out
}

// Callers returns every service that depends on name, directly or through
// others: who is affected when it breaks.
func (t *Topology) Callers(name string) []string {
	callers := map[string][]string{}
	for _, svc := range t.ServiceNames() {
		for _, dep := range t.Dependencies(svc) {
			callers[dep] = append(callers[dep], svc)
		}
	}
	seen := map[string]bool{}
	queue := []string{name}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, c := range callers[cur] {
			if !seen[c] && c != name {
				seen[c] = true
				queue = append(queue, c)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Entry is the service a request enters by: the first, by name, that
// publishes a port and that no service calls; "" when none does.
func (t *Topology) Entry() string {
	called := map[string]bool{}
	for _, svc := range t.Services {
		for _, c := range svc.Calls {
			called[c.Service] = true
		}
	}
	for _, name := range t.ServiceNames() {
		if !called[name] && len(t.Services[name].Ports) > 0 {
			return name
		}
	}
	return ""
}

// cycles returns, for each group of services that depend on each other
// in a circle, the shortest cycle through its first service by name:
// [a b a]. Nil when the graph is acyclic.
func (t *Topology) cycles() [][]string {
	var out [][]string
	for _, group := range t.components() {
		if len(group) > 1 {
			out = append(out, t.cycleIn(group))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// components returns the strongly connected components of the dependency
// graph (Tarjan's algorithm); recursion is as deep as the longest chain,
// at most MaxServices.
func (t *Topology) components() [][]string {
	order := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	var visit func(string)
	visit = func(v string) {
		order[v], low[v] = len(order), len(order)
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range t.Dependencies(v) {
			if _, seen := order[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], order[w])
			}
		}
		if low[v] != order[v] {
			return
		}
		var group []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			group = append(group, w)
			if w == v {
				break
			}
		}
		sort.Strings(group)
		out = append(out, group)
	}
	for _, name := range t.ServiceNames() {
		if _, seen := order[name]; !seen {
			visit(name)
		}
	}
	return out
}

// cycleIn finds, breadth first, the shortest way from the group's first
// service back to itself.
func (t *Topology) cycleIn(group []string) []string {
	in := map[string]bool{}
	for _, name := range group {
		in[name] = true
	}
	start := group[0]
	parent := map[string]string{}
	queue := []string{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range t.Dependencies(v) {
			switch {
			case w == start:
				path := []string{start}
				for at := v; at != start; at = parent[at] {
					path = append(path, at)
				}
				path = append(path[:1], reversed(path[1:])...)
				return append(path, start)
			case in[w] && parent[w] == "":
				parent[w] = v
				queue = append(queue, w)
			}
		}
	}
	return append(group, start) // unreachable for a real component
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// Rename gives the project another name (chainctl -p), moving the names
// derived from it: the default network and the volumes.
func (t *Topology) Rename(project string) {
	if t.Network.Name == "" || t.Network.Name == t.Name+"-net" {
		t.Network.Name = project + "-net"
	}
	for key, v := range t.Volumes {
		v.Name = project + "-" + key
		t.Volumes[key] = v
	}
	t.Name = project
}
