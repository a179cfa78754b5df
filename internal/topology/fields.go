// Decoding typed fields: durations, health checks and resources, within the bounds the Engine enforces.

package topology

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/yamlnode"
	"github.com/docker/go-units"
	"gopkg.in/yaml.v3"
)

// Bounds the Engine enforces, checked here so that a bad value fails
// before anything is created.
const (
	minMemory = 6 << 20 // the Engine refuses a smaller memory limit
	maxMemory = 1 << 50 // 1PiB: past this a size is a typo (and near int64's end)
	maxCPUs   = 1024
	minProbe  = time.Millisecond // the smallest health interval, timeout or start period
)

func (d *decoder) duration(n *yaml.Node, path string) (Duration, bool) {
	v, ok := d.Duration(n, path)
	return Duration(v), ok
}

// probeDuration is a health check duration: 0 means the Engine's default,
// anything else must be at least minProbe.
func (d *decoder) probeDuration(n *yaml.Node, path string) Duration {
	v, ok := d.duration(n, path)
	if ok && v != 0 && time.Duration(v) < minProbe {
		d.Errorf(n, path, "%s: the engine needs at least %s (or 0 for its default)", v, minProbe)
	}
	return v
}

func (d *decoder) healthcheck(n *yaml.Node, path string) *Healthcheck {
	h := &Healthcheck{}
	var testNode *yaml.Node
	d.Fields(n, path, yamlnode.Handlers{
		"test": func(v *yaml.Node, p string) {
			testNode = v
			h.Test = d.healthTest(v, p)
		},
		"interval":     func(v *yaml.Node, p string) { h.Interval = d.probeDuration(v, p) },
		"timeout":      func(v *yaml.Node, p string) { h.Timeout = d.probeDuration(v, p) },
		"start_period": func(v *yaml.Node, p string) { h.StartPeriod = d.probeDuration(v, p) },
		"retries": func(v *yaml.Node, p string) {
			if r, ok := d.Int(v, p); ok && r < 0 {
				d.Errorf(v, p, "retries must not be negative, got %d", r)
			} else {
				h.Retries = r
			}
		},
		"disable": func(v *yaml.Node, p string) { h.Disable = d.Bool(v, p) },
	})
	if h.Disable && len(h.Test) > 0 && h.Test[0] != "NONE" {
		d.Errorf(testNode, yamlnode.Join(path, "test"), "a test with disable: true: keep one of them")
	}
	return h
}

// healthTest reads a test: a string runs in the container's shell, a
// list is the Engine's form ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"].
func (d *decoder) healthTest(n *yaml.Node, path string) []string {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.Text(n, path)
		if ok && strings.TrimSpace(s) == "" {
			d.Errorf(n, path, "empty test")
		}
		if !ok || strings.TrimSpace(s) == "" {
			return nil
		}
		return []string{"CMD-SHELL", s}
	}
	var test []string
	for _, s := range d.List(n, path, d.Text) {
		test = append(test, s.Val)
	}
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	switch {
	case len(test) == 0 || test[0] != "CMD" && test[0] != "CMD-SHELL" && test[0] != "NONE":
		d.Errorf(n, path, "a test list starts with CMD, CMD-SHELL or NONE")
	case test[0] == "NONE" && len(test) > 1:
		d.Errorf(n, path, "NONE takes nothing after it")
	case test[0] != "NONE" && len(test) == 1:
		d.Errorf(n, path, "%s needs a command after it", test[0])
	}
	return test
}

func (d *decoder) resources(n *yaml.Node, path string) Resources {
	var r Resources
	d.Fields(n, path, yamlnode.Handlers{
		"cpus": func(v *yaml.Node, p string) {
			s, ok := d.Text(v, p)
			if !ok {
				return
			}
			c, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(c) || c <= 0 || c > maxCPUs {
				d.Errorf(v, p, "%q: want a number of CPUs above 0 and at most %d, like 0.5", s, maxCPUs)
				return
			}
			r.CPUs = c
		},
		"memory": func(v *yaml.Node, p string) {
			s, ok := d.Text(v, p)
			if !ok {
				return
			}
			m, err := units.RAMInBytes(s)
			switch {
			case err != nil:
				d.Errorf(v, p, "%q: invalid memory size (want bytes, or e.g. 64m, 512MiB, 1g)", s)
			case m < 0 || m > maxMemory:
				d.Errorf(v, p, "%q: too large", s)
			case m < minMemory:
				d.Errorf(v, p, "%q: the engine needs at least 6MiB", s)
			default:
				r.Memory = m
			}
		},
	})
	return r
}
