// The files a project reads beyond its -f files, and the environment compose-go gets from the process and .env.

package compose

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/yamlnode"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// maxSources bounds the files one load reads (includes, extends,
// env_files), so that a hostile file cannot make it read without end.
const maxSources = 256

// document is what a compose file is, for yamlnode's checks of the raw
// file: size, text, one document, no alias bomb; syntax errors with lines.
var document = yamlnode.Document{
	Kind:     "a compose file",
	Empty:    "a compose file needs at least `services:`",
	MaxBytes: topology.MaxFileBytes,
	MaxNodes: 200_000,
}

// Variables compose reads from the environment itself.
const (
	envProjectName = "COMPOSE_PROJECT_NAME"
	envProfiles    = "COMPOSE_PROFILES"
)

// parseSources checks each -f file and parses its node tree.
func parseSources(inputs []input) (*sources, error) {
	s := &sources{main: len(inputs)}
	r := &yamlnode.Reader{}
	var errs []error
	for _, in := range inputs {
		abs, err := filepath.Abs(in.name)
		if err != nil {
			return nil, err
		}
		root, err := document.Parse(in.data, in.name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if root.Kind != yaml.MappingNode {
			r.File = in.name
			r.Errorf(root, "", "a compose file is a mapping (services:, networks:, ...), got %s", yamlnode.Describe(root))
			errs = append(errs, r.Err())
			r = &yamlnode.Reader{}
			continue
		}
		s.files = append(s.files, &source{name: in.name, abs: abs, data: in.data, root: root})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// reference is a file a compose file points at, where it does so.
type reference struct {
	path    string // absolute
	compose bool   // an included or extended compose file, else an env file
	from    *source
	at      []step
}

// environment builds the variables compose-go may look up: every name any
// source file mentions, as the process has it, then .env beside the
// first file for the names the process does not set (compose's order).
// Following include, extends and env_file as it goes, it adds the files
// they name to s, and refuses one that is not a regular file.
func environment(s *sources, lookup func(string) (string, bool), p *problems) types.Mapping {
	env := types.Mapping{}
	addNames := func(data []byte) {
		for _, n := range nameRE.FindAll(data, -1) {
			if _, done := env[string(n)]; !done {
				if v, ok := lookup(string(n)); ok {
					env[string(n)] = v
				}
			}
		}
	}
	for _, n := range []string{envProjectName, envProfiles} {
		addNames([]byte(n))
	}
	dotEnv := filepath.Join(filepath.Dir(s.files[0].abs), ".env")
	queue := []reference{{path: dotEnv, from: s.files[0]}}
	for _, f := range s.files {
		addNames(f.data)
		queue = append(queue, references(f, env)...)
	}
	for len(queue) > 0 && len(s.files) < maxSources {
		ref := queue[0]
		queue = queue[1:]
		if s.byAbs(ref.path) != nil {
			continue
		}
		f := readReference(ref, p)
		if f == nil {
			continue
		}
		s.files = append(s.files, f)
		addNames(f.data)
		if f.root != nil {
			queue = append(queue, references(f, env)...)
		}
	}
	if f := s.byAbs(dotEnv); f != nil {
		vars, err := dotenv.GetEnvFromFile(env, []string{dotEnv})
		if m := envLineRE.FindStringSubmatch(fmt.Sprint(err)); m != nil {
			line, _ := strconv.Atoi(m[2])
			p.atEnvLine(m[1], line, m[3])
		} else if err != nil {
			p.atFile(nil, f, "", err.Error())
		}
		env.Merge(vars)
	}
	return env
}

// nameRE matches what could be a variable name; every one a file holds is
// looked up, a superset of those its ${...} and bare environment entries use.
var nameRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// readReference reads a referenced file: nil when it does not exist
// (compose-go says so, or it is optional) or is refused.
func readReference(ref reference, p *problems) *source {
	fi, err := os.Stat(ref.path)
	if err != nil || fi.IsDir() && ref.at == nil { // a directory called .env is skipped, as compose does
		return nil
	}
	if !fi.Mode().IsRegular() || fi.Size() > topology.MaxFileBytes {
		p.atFile(ref.at, ref.from, render(ref.at), fmt.Sprintf("%s: not a regular file of at most %d bytes: refused", ref.path, topology.MaxFileBytes))
		return nil
	}
	data, err := readLimited(ref.path)
	if err != nil {
		return nil
	}
	f := &source{name: ref.path, abs: ref.path, data: data}
	if ref.compose {
		if root, err := document.Parse(data, ref.path); err == nil {
			f.root = root
		}
	}
	return f
}

// references are the files a compose file names: include paths and their
// env_files, extends files, env_files and label_files. A relative path starts at the
// file's directory; ${VAR} in it is expanded with env.
func references(f *source, env types.Mapping) []reference {
	dir := filepath.Dir(f.abs)
	var out []reference
	add := func(n *yaml.Node, at []step, compose bool) {
		if n.Kind != yaml.ScalarNode || n.Value == "" {
			return
		}
		v, err := template.Substitute(n.Value, template.Mapping(env.Resolve))
		if err != nil {
			return
		}
		if !filepath.IsAbs(v) {
			v = filepath.Join(dir, v)
		}
		out = append(out, reference{path: filepath.Clean(v), compose: compose, from: f, at: at})
		if compose {
			out = append(out, reference{path: filepath.Join(filepath.Dir(v), ".env"), from: f})
		}
	}
	for _, top := range mapPairs(f.root) {
		switch top.Key.Value {
		case "include":
			eachEntry(top.Val, keys("include"), func(n *yaml.Node, at []step) {
				if n.Kind == yaml.MappingNode {
					fieldEntries(n, "path", at, func(v *yaml.Node, p []step) { add(v, p, true) })
					fieldEntries(n, "env_file", at, func(v *yaml.Node, p []step) { add(v, p, false) })
					return
				}
				add(n, at, true)
			})
		case "services":
			serviceReferences(yamlnode.Resolve(top.Val), add)
		}
	}
	return out
}

// serviceReferences finds each service's extends file, env_files and
// label_files.
func serviceReferences(n *yaml.Node, add func(*yaml.Node, []step, bool)) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for _, svc := range mapPairs(n) {
		v := yamlnode.Resolve(svc.Val)
		if v.Kind != yaml.MappingNode {
			continue
		}
		at := keys("services", svc.Key.Value)
		if ext := field(v, "extends"); ext != nil && ext.Kind == yaml.MappingNode {
			fieldEntries(ext, "file", append(at, key("extends")), func(v *yaml.Node, p []step) { add(v, p, true) })
		}
		fieldEntries(v, "label_file", at, func(e *yaml.Node, p []step) { add(e, p, false) })
		fieldEntries(v, "env_file", at, func(e *yaml.Node, p []step) {
			if e.Kind == yaml.MappingNode {
				fieldEntries(e, "path", p, func(v *yaml.Node, p []step) { add(v, p, false) })
				return
			}
			add(e, p, false)
		})
	}
}

// field is a mapping's value for a key, or nil.
func field(n *yaml.Node, k string) *yaml.Node {
	for _, p := range mapPairs(n) {
		if p.Key.Value == k {
			return yamlnode.Resolve(p.Val)
		}
	}
	return nil
}

// fieldEntries calls fn on a field's value, or on each entry when it is a list.
func fieldEntries(n *yaml.Node, k string, at []step, fn func(*yaml.Node, []step)) {
	if v := field(n, k); v != nil {
		eachEntry(v, append(append([]step{}, at...), key(k)), fn)
	}
}

// eachEntry calls fn on n, or on each entry when n is a list.
func eachEntry(n *yaml.Node, at []step, fn func(*yaml.Node, []step)) {
	n = yamlnode.Resolve(n)
	if n.Kind != yaml.SequenceNode {
		fn(n, at)
		return
	}
	for i, c := range n.Content {
		fn(yamlnode.Resolve(c), append(append([]step{}, at...), index(i)))
	}
}
