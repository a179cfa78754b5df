// Load and Parse: the experiment file read strictly through yamlnode, its top level, load and durations.

package experiment

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/yamlnode"
)

// Limits of an experiment file: its size, its nodes once YAML aliases are
// followed, its lines of hypothesis and steps, the load's rate, and the
// faults one random step may draw.
const (
	MaxFileBytes = 1 << 20
	MaxRate      = 5000 // requests per second
	maxNodes     = 100_000
	maxChecks    = 100
	maxSteps     = 1000
	maxDraws     = 1000
)

// document is what an experiment file is, for yamlnode's checks of the
// raw file and its one YAML document.
var document = yamlnode.Document{
	Kind:     "an experiment",
	Empty:    "an experiment needs name, topology or project, load, steady_state, method and duration",
	MaxBytes: MaxFileBytes,
	MaxNodes: maxNodes,
}

var (
	// nameRE: the experiment's name goes into file names (reports) and
	// JUnit suites.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	// projectRE is topology's rule for project and service names.
	projectRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
)

// Load reads an experiment file and parses it; lookupEnv serves ${VAR}
// interpolation as in topology files (cmd passes os.LookupEnv; nil:
// nothing is set).
func Load(path string, lookupEnv func(string) (string, bool)) (*Experiment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read experiment: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read experiment: %w", err)
	}
	return Parse(data, path, lookupEnv)
}

// Parse decodes and validates an experiment. filename names the file in
// messages and anchors a relative topology path; lookupEnv (nil: nothing
// is set) serves ${VAR}. Every problem is reported at once, each as
// FILE:LINE: PATH: MESSAGE (a *yamlnode.Error, errors.Join'ed); on any
// problem the experiment is nil. Service names are checked against a
// topology later, by ValidateServices.
func Parse(data []byte, filename string, lookupEnv func(string) (string, bool)) (*Experiment, error) {
	root, err := document.Parse(data, filename)
	if err != nil {
		return nil, err
	}
	p := &parser{Reader: &yamlnode.Reader{File: filename, Expand: topology.Expander(lookupEnv)}, dir: filepath.Dir(filename)}
	if abs, err := filepath.Abs(p.dir); err == nil {
		p.dir = abs
	}
	e := p.experiment(root)
	p.validate(e)
	if err := p.Err(); err != nil {
		return nil, err
	}
	e.File = filename
	return e, nil
}

// parser walks the node tree; the embedded Reader collects the problems.
type parser struct {
	*yamlnode.Reader
	dir    string      // absolute directory of the file: a relative topology starts here
	steps  []stepNodes // where each sound step of the method was written, for validate
	settle *yaml.Node  // nil: the default
	dur    *yaml.Node
}

// stepNodes is where one step and its times were written.
type stepNodes struct {
	path          string
	node, at, dur *yaml.Node
	random        *yaml.Node // the random mapping, for a campaign
}

// experiment decodes the root mapping; a field that is missing or
// excludes another is reported here, the timeline in validate.
func (p *parser) experiment(root *yaml.Node) *Experiment {
	e := &Experiment{Settle: DefaultSettle}
	seen := p.Fields(root, "", yamlnode.Handlers{
		"name": func(v *yaml.Node, path string) {
			if s, ok := p.Str(v, path); ok && (!nameRE.MatchString(s) || len(s) > 100) {
				p.Errorf(v, path, "invalid name %q: use at most 100 letters, digits, ., - and _, starting with a letter or digit", s)
			} else {
				e.Name = s
			}
		},
		"topology": func(v *yaml.Node, path string) {
			if s, ok := p.Str(v, path); ok && s == "" {
				p.Errorf(v, path, "empty path")
			} else if ok {
				e.Topology = p.resolve(s)
			}
		},
		"project": func(v *yaml.Node, path string) {
			if s, ok := p.Str(v, path); ok && (!projectRE.MatchString(s) || len(s) > 63) {
				p.Errorf(v, path, "invalid project name %q: use at most 63 lower-case letters, digits, - and _, starting with a letter or digit", s)
			} else {
				e.Project = s
			}
		},
		"load":         func(v *yaml.Node, path string) { e.Load = p.load(v, path) },
		"steady_state": func(v *yaml.Node, path string) { e.SteadyState = p.checks(v, path) },
		"method":       func(v *yaml.Node, path string) { e.Method = p.method(v, path) },
		"duration":     func(v *yaml.Node, path string) { p.dur = v; e.Duration, _ = p.positive(v, path) },
		"settle": func(v *yaml.Node, path string) {
			p.settle = v
			if d, ok := p.positive(v, path); ok {
				e.Settle = d
			}
		},
	})
	if seen == nil {
		return e // not a mapping: already reported
	}
	for _, f := range []struct{ key, what string }{
		{"name", "an experiment needs a name"},
		{"load", "an experiment needs a load (entry or url, and rate)"},
		{"steady_state", "an experiment needs a steady-state hypothesis: at least one line such as `success_ratio >= 99%`"},
		{"method", "an experiment needs a method: at least one step"},
		{"duration", "an experiment needs a duration such as 60s"},
	} {
		if seen[f.key] == nil {
			p.Errorf(root, f.key, "missing: %s", f.what)
		}
	}
	p.oneOf(root, "", seen, "topology", "project", "a topology file, or a project already up")
	return e
}

// oneOf checks that the mapping n at path has exactly one of two fields;
// when it has both, the later one is reported.
func (p *parser) oneOf(n *yaml.Node, path string, seen map[string]*yaml.Node, a, b, what string) {
	switch ka, kb := seen[a], seen[b]; {
	case ka != nil && kb != nil:
		later, name := kb, b
		if ka.Line > kb.Line {
			later, name = ka, a
		}
		p.Errorf(later, yamlnode.Join(path, name), "%s and %s exclude each other: give one (%s)", a, b, what)
	case ka == nil && kb == nil:
		p.Errorf(n, yamlnode.Join(path, a), "missing: give %s or %s (%s)", a, b, what)
	}
}

// resolve makes a topology path absolute against the file's directory.
func (p *parser) resolve(s string) string {
	if filepath.IsAbs(s) {
		return filepath.Clean(s)
	}
	return filepath.Join(p.dir, s)
}

// positive reads a duration that must be above 0.
func (p *parser) positive(n *yaml.Node, path string) (time.Duration, bool) {
	d, ok := p.Duration(n, path)
	if ok && d == 0 {
		p.Errorf(n, path, "want a duration above 0, like 10s")
		return 0, false
	}
	return d, ok
}

func (p *parser) load(n *yaml.Node, path string) LoadSpec {
	l := LoadSpec{Timeout: DefaultTimeout, Line: n.Line}
	seen := p.Fields(n, path, yamlnode.Handlers{
		"entry": func(v *yaml.Node, path string) {
			l.Line = v.Line
			if s, ok := p.Str(v, path); ok && !projectRE.MatchString(s) {
				p.Errorf(v, path, "invalid service name %q", s)
			} else {
				l.Entry = s
			}
		},
		"url": func(v *yaml.Node, path string) {
			l.Line = v.Line
			if s, ok := p.Str(v, path); ok {
				if u, err := url.Parse(s); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
					p.Errorf(v, path, "%q: want an http:// or https:// URL with a host, like http://127.0.0.1:8080/", s)
				} else {
					l.URL = s
				}
			}
		},
		"rate": func(v *yaml.Node, path string) { l.Rate = p.rate(v, path) },
		"timeout": func(v *yaml.Node, path string) {
			if d, ok := p.positive(v, path); ok {
				l.Timeout = d
			}
		},
	})
	if seen == nil {
		return l
	}
	p.oneOf(n, path, seen, "entry", "url", "the service whose published port takes the load, or a URL")
	if seen["rate"] == nil {
		p.Errorf(n, yamlnode.Join(path, "rate"), "missing: a load needs a rate such as 200/s")
	}
	return l
}

// rate reads requests per second: 200/s, or a number.
func (p *parser) rate(n *yaml.Node, path string) float64 {
	s, ok := p.Text(n, path)
	if !ok {
		return 0
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "/s")), 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		p.Errorf(n, path, "%q: not a rate: want requests per second such as 200/s", s)
	case v <= 0:
		p.Errorf(n, path, "%q: want a rate above 0", s)
	case v > MaxRate:
		p.Errorf(n, path, "%q: at most %d/s", s, MaxRate)
	default:
		return v
	}
	return 0
}
