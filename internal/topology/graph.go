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
// parallel. a→b→c gives [[c] [b] [a]]. A cycle (rejected by Validate) does
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

// cycle returns one dependency cycle as a path (a, b, a), or nil.
func (t *Topology) cycle() []string {
	const (
		unvisited = iota
		onStack
		done
	)
	state := map[string]int{}
	var stack []string
	var found []string
	var visit func(string) bool
	visit = func(name string) bool {
		state[name] = onStack
		stack = append(stack, name)
		for _, dep := range t.Dependencies(name) {
			switch state[dep] {
			case onStack:
				for i, s := range stack {
					if s == dep {
						found = append(append([]string{}, stack[i:]...), dep)
						return true
					}
				}
			case unvisited:
				if visit(dep) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
		return false
	}
	for _, name := range t.ServiceNames() {
		if state[name] == unvisited && visit(name) {
			return found
		}
	}
	return nil
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
