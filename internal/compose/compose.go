// Package compose loads compose files (compose.yaml, docker-compose.yml) as
// chainctl topologies. compose-go, the loader docker compose uses, reads
// them (interpolation, .env, env_file, profiles, extends, include, -f
// merging); each source file's yaml.v3 node tree gives the lines that its
// errors lack. The project is then mapped onto topology.Topology field by
// field, and a field the mapping does not carry is an error with its line,
// never dropped. A chainctl topology given alone still loads through
// topology.Load.
package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/cli"
)

// Options say which files make the project and how to read them.
type Options struct {
	// Files are the -f files, in order. Empty: Find(Dir), and the override
	// file beside it (compose.override.yaml, ...) as compose does.
	Files []string
	// Dir is where to look when Files is empty ("" is ".").
	Dir string
	// ProjectName is -p. "": COMPOSE_PROJECT_NAME, else the files' name:,
	// else the directory's name (compose's precedence).
	ProjectName string
	// Profiles are --profile; none: COMPOSE_PROFILES.
	Profiles []string
	// LookupEnv is the process environment (nil: nothing is set).
	LookupEnv func(string) (string, bool)
}

// Loaded is a loaded project and what the user should be told about it.
type Loaded struct {
	Topology *topology.Topology
	// Notes are warnings for stderr, as compose prints them: an obsolete
	// `version`, an unset variable, a key compose itself ignores.
	Notes []string
}

// Load reads the project the options name. One file that is a chainctl
// topology loads with topology.Load; otherwise every file must be a
// compose file. Every problem is reported at once where compose-go
// allows (errors.Join of *yamlnode.Error, file:line: path: message), and
// on any problem nothing is returned.
func Load(ctx context.Context, o Options) (*Loaded, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.LookupEnv == nil {
		o.LookupEnv = func(string) (string, bool) { return "", false }
	}
	files, notes, err := o.files()
	if err != nil {
		return nil, err
	}
	inputs := make([]input, len(files))
	for i, f := range files {
		data, err := readLimited(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		inputs[i] = input{name: f, data: data}
	}
	if len(inputs) == 1 && !IsCompose(inputs[0].name, inputs[0].data) {
		t, err := topology.Parse(inputs[0].data, inputs[0].name, o.LookupEnv)
		if err != nil {
			return nil, err
		}
		if o.ProjectName != "" {
			t.Rename(o.ProjectName)
		}
		return &Loaded{Topology: t}, nil
	}
	var errs []error
	for _, in := range inputs {
		if !IsCompose(in.name, in.data) {
			errs = append(errs, fmt.Errorf("%s is a chainctl topology (it uses a chainctl-only key): -f merges compose files only; give it alone", in.name))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	l, err := loadCompose(ctx, inputs, o)
	if err != nil {
		return nil, err
	}
	l.Notes = append(notes, l.Notes...)
	return l, nil
}

// DefaultNames are the files Find looks for, in compose's order.
var DefaultNames = slices.Clone(cli.DefaultFileNames)

// ErrNoFile is what Find and Load (without Files) return, wrapped, when
// the directory has none of DefaultNames.
var ErrNoFile = errors.New("no compose file")

// input is one -f file and its content.
type input struct {
	name string
	data []byte
}

// files are the -f files, or the default file and its override.
func (o Options) files() ([]string, []string, error) {
	if len(o.Files) > 0 {
		return o.Files, nil, nil
	}
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	found := present(dir, DefaultNames)
	if len(found) == 0 {
		return nil, nil, notFound(dir)
	}
	var notes []string
	if len(found) > 1 {
		notes = append(notes, fmt.Sprintf("found several compose files in %s (%s): using %s", dir, strings.Join(found, ", "), found[0]))
	}
	files := []string{found[0]}
	if over := present(dir, cli.DefaultOverrideFileNames); len(over) > 0 {
		if len(over) > 1 {
			notes = append(notes, fmt.Sprintf("found several override files in %s (%s): using %s", dir, strings.Join(over, ", "), over[0]))
		}
		files = append(files, over[0])
	}
	return files, notes, nil
}

// Find returns the compose file in dir ("" is "."), looking for the names
// compose looks for, in its order: compose.yaml, compose.yml,
// docker-compose.yml, docker-compose.yaml.
func Find(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	if found := present(dir, DefaultNames); len(found) > 0 {
		return found[0], nil
	}
	return "", notFound(dir)
}

func notFound(dir string) error {
	return fmt.Errorf("%w in %s: looked for %s (give a file with -f)", ErrNoFile, dir, strings.Join(DefaultNames, ", "))
}

// present are the names that exist in dir as regular files, joined to it.
func present(dir string, names []string) []string {
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

// readLimited reads a regular file of at most topology.MaxFileBytes (one
// byte more, so that the document check refuses a larger one).
func readLimited(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, topology.MaxFileBytes+1))
}
