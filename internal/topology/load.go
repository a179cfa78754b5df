// Load and Parse: reading a topology file within limits, YAML syntax errors with lines, and the decoder's state.

package topology

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
)

// Limits that keep a hostile or mistaken file from costing more than a
// moment: the whole file, the services, the nodes once YAML aliases are
// followed (an alias bomb is refused, never expanded), and the host ports
// all ranges together publish.
const (
	MaxFileBytes = 1 << 20
	MaxServices  = 1000
	maxNodes     = 200_000
	maxPorts     = 65_536
)

// Error is one problem in a topology file, located by line and field path
// (File:Line: Path: Msg). Parse returns them joined with errors.Join;
// errors.As finds the first.
type Error = yamlnode.Error

// Load reads a topology file and parses it with lookupEnv serving ${VAR}
// interpolation (cmd passes os.LookupEnv; nil: nothing is set).
// Topology.File is path as given.
func Load(path string, lookupEnv func(string) (string, bool)) (*Topology, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	defer f.Close()
	// One byte past the limit is enough for Parse to refuse the file
	// without reading a huge one into memory.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	return Parse(data, path, lookupEnv)
}

// Parse decodes, interpolates, normalises and validates a topology.
// filename names the file in messages, gives the default project name and
// anchors relative bind mounts; lookupEnv (nil: nothing is set) serves
// ${VAR}. Every problem is reported at once and nothing is returned
// half-validated: on any problem the topology is nil.
func Parse(data []byte, filename string, lookupEnv func(string) (string, bool)) (*Topology, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	root, err := document.Parse(data, filename)
	if err != nil {
		return nil, err
	}
	d := &decoder{lookupEnv: lookupEnv, dir: filepath.Dir(filename), portsLeft: maxPorts}
	d.Reader = &yamlnode.Reader{File: filename, Expand: Expander(lookupEnv)}
	if abs, err := filepath.Abs(d.dir); err == nil {
		d.dir = abs
	}
	t := d.topology(root)
	d.validate(t)
	if err := d.Err(); err != nil {
		return nil, err
	}
	t.File = filename
	return t, nil
}

// document is what a topology file is, for yamlnode's checks of the raw
// file and its one YAML document.
var document = yamlnode.Document{
	Kind:     "a topology",
	Empty:    "a topology needs at least `services:`",
	MaxBytes: MaxFileBytes,
	MaxNodes: maxNodes,
}

// decoder walks the YAML node tree so that every problem knows its line
// and field path; the embedded Reader holds the file name and collects
// the problems.
type decoder struct {
	*yamlnode.Reader
	dir       string // absolute directory of file: relative bind mounts start here
	lookupEnv func(string) (string, bool)
	refs      []ref       // names that must be defined, checked once all are
	published []published // host ports, checked for clashes
	portsLeft int         // ports all ranges together may still publish
}

// ref is a use of a service or volume name, where it was written.
type ref struct {
	line   int
	path   string
	from   string // the service that refers
	volume bool   // a volume name, else a service name
	target string
}

// published is one host port entry of a service, where it was written.
type published struct {
	service string
	index   int // in the service's Ports
	line    int
	path    string
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// projectFromFile derives the default project name from the file name as
// compose does from a directory: lower-cased, other characters dropped.
func projectFromFile(file string) string {
	base := filepath.Base(file)
	base = strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))
	var b strings.Builder
	for _, r := range base {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (r == '-' || r == '_') && b.Len() > 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}
