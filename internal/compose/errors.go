// compose-go's errors, which name a field path but no line, located in the source files as file:line: path: message.

package compose

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Messages of compose-go, by what they say; their paths are dotted
// (services.web.ports.0) or bracketed (services[web].ports[0]).
var (
	validatingRE  = regexp.MustCompile(`(?s)^validating (.+?): (\S*) (.*)$`) // an empty path is the top level
	parseRE       = regexp.MustCompile(`(?s)^failed to parse (.+?): (.*)$`)
	interpRE      = regexp.MustCompile(`(?s)^error while interpolating (\S+): (.*)$`)
	templateRE    = regexp.MustCompile(`(?s)^invalid interpolation format for (\S+?)\.?\n.*\n(.*)$`)
	requiredRE    = regexp.MustCompile(`required variable (\w+) is missing a value`)
	decodeRE      = regexp.MustCompile(`(?m)^'([^']+)' (.*)$`)
	undefinedRE   = regexp.MustCompile(`^service "([^"]+)" refers to undefined (network|volume|secret|config|build secret|model) (\S+?):`)
	dependsRE     = regexp.MustCompile(`^service "([^"]+)" depends on undefined service "([^"]+)"`)
	netServiceRE  = regexp.MustCompile(`^service "([^"]+)" not found for network_mode`)
	serviceRE     = regexp.MustCompile(`^service "([^"]+)" `)
	containerRE   = regexp.MustCompile(`^services\.(?:scale|deploy\.replicas): can't set container_name and (\S+) `)
	cycleRE       = regexp.MustCompile(`^dependency cycle detected: (.+)$`)
	fileMissingRE = regexp.MustCompile(`^(env|label) file (.+) not found: `)
	envLineRE     = regexp.MustCompile(`(?s)^failed to read (.+?): line (\d+): (.*)$`)
	envFormatRE   = regexp.MustCompile(`^unsupported env_file format "(.*)"$`)
	extendRE      = regexp.MustCompile(`^cannot extend service "([^"]+)"`)
	platformRE    = regexp.MustCompile(`^service\.build\.platforms MUST include service\.platform "([^"]*)"`)
	inlineRE      = regexp.MustCompile(`^service "([^"]+)" declares mutual+y exclusive dockerfile and dockerfile_inline`)
	additionalRE  = regexp.MustCompile(`^additional propert(?:y|ies) (.+) not allowed$`)
	quotedRE      = regexp.MustCompile(`'([^']*)'`)
	pathFirstRE   = regexp.MustCompile(`(?s)^((?:services|networks|volumes|secrets|configs|include|models|jobs)(?:[.\[][^\s:]*)?):? (.*)$`)
)

// undefinedField is the service field that refers to each kind of resource.
var undefinedField = map[string][]string{
	"network": {"networks"}, "volume": {"volumes"}, "secret": {"secrets"},
	"config": {"configs"}, "build secret": {"build", "secrets"}, "model": {"models"},
}

// compose records one of compose-go's errors (each of a joined one) at
// the line of the field it names.
func (p *problems) compose(err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			p.compose(e)
		}
		return
	}
	msg := err.Error()
	if m := validatingRE.FindStringSubmatch(msg); m != nil {
		p.schema(p.src.byAbs(m[1]), m[2], m[3])
		return
	}
	if m := parseRE.FindStringSubmatch(msg); m != nil {
		p.atFile(nil, p.src.byAbs(m[1]), "", "invalid YAML: "+strings.TrimPrefix(m[2], "yaml: "))
		return
	}
	if m := interpRE.FindStringSubmatch(msg); m != nil {
		hint := ""
		if r := requiredRE.FindStringSubmatch(m[2]); r != nil {
			hint = r[1]
		}
		p.path(m[1], hint, m[2])
		return
	}
	if m := templateRE.FindStringSubmatch(msg); m != nil {
		p.path(m[1], m[2], "invalid interpolation format "+m[2]+" (write $$ for a literal $)")
		return
	}
	if strings.HasPrefix(msg, "decoding failed") {
		for _, m := range decodeRE.FindAllStringSubmatch(msg, -1) {
			p.path(m[1], "", m[2])
		}
		return
	}
	if p.consistency(msg) {
		return
	}
	if m := pathFirstRE.FindStringSubmatch(msg); m != nil {
		p.path(m[1], "", m[2])
		return
	}
	p.atFile(nil, nil, "", msg)
}

// notComposeKey is what a key the compose specification lacks gets.
const notComposeKey = "not a compose key (see the compose specification)"

// schema records a schema violation: a path, then what is wrong with it.
// A key the schema does not allow is named in the message, not the path
// (services.web.secrets.0 additional properties 'type' not allowed): it
// is recorded at the key itself, each one it names.
func (p *problems) schema(f *source, path, msg string) {
	steps := parsePath(path)
	if m := additionalRE.FindStringSubmatch(msg); m != nil {
		if names := quotedRE.FindAllStringSubmatch(m[1], -1); len(names) > 0 {
			for _, n := range names {
				at := sub(steps, key(n[1]))
				p.atFile(at, f, render(at), notComposeKey)
			}
			return
		}
	}
	if msg == "false schema" || strings.HasPrefix(msg, "additional propert") {
		msg = notComposeKey
	}
	p.atFile(steps, f, render(steps), msg)
}

// path records a problem at a compose-go path; hint, when set, is text the
// field holds (a variable, a template) that finds the entry of a list.
func (p *problems) path(path, hint, msg string) {
	steps := parsePath(path)
	if hint != "" && strings.Contains(path, "[]") {
		if i := p.src.entryHolding(steps, hint); i >= 0 {
			steps = append(steps, index(i))
		}
	}
	shown := render(steps)
	if hint != "" {
		steps = append(steps, holding(hint))
	}
	p.atFile(steps, nil, shown, msg)
}

// consistency records compose-go's checks of the whole project, which
// name a service or a resource rather than a path.
func (p *problems) consistency(msg string) bool {
	short, _, _ := strings.Cut(msg, ": invalid compose project")
	switch m := []string(nil); {
	case matches(undefinedRE, msg, &m):
		p.at(append(keys(append([]string{"services", m[1]}, undefinedField[m[2]]...)...), mentions(m[3])), "%s", short)
	case matches(dependsRE, msg, &m):
		p.at(keys("services", m[1], "depends_on", m[2]), "%s", short)
	case matches(netServiceRE, msg, &m):
		p.at(p.serviceWith("network_mode", "", func(v string) bool { return v == "service:"+m[1] }), "%s", short)
	case matches(containerRE, msg, &m):
		p.at(keys("services", m[1], "container_name"), "a container name is unique: a service with more than one replica cannot set one")
	case matches(cycleRE, msg, &m):
		names := strings.Split(m[1], " -> ")
		p.at(keys("services", names[0], "depends_on", names[min(1, len(names)-1)]), "%s", short)
	case matches(fileMissingRE, msg, &m):
		base := filepath.Base(m[2])
		p.at(p.serviceWith(m[1]+"_file", "path", func(v string) bool { return filepath.Base(v) == base }), "%s", short)
	case matches(envLineRE, msg, &m):
		line, _ := strconv.Atoi(m[2])
		p.atEnvLine(m[1], line, m[3])
	case matches(envFormatRE, msg, &m):
		at := p.serviceWith("env_file", "format", func(v string) bool { return v == m[1] })
		p.at(append(at, key("format")), "%q: want .env (the default) or raw", m[1])
	case matches(platformRE, msg, &m):
		p.at(p.serviceWith("platform", "", func(v string) bool { return v == m[1] }), "build.platforms must include the service's platform %q, as compose says", m[1])
	case matches(inlineRE, msg, &m):
		p.at(keys("services", m[1], "build", "dockerfile_inline"), "%s", bothDockerfiles)
	case matches(extendRE, msg, &m):
		p.at(keys("services", m[1], "extends"), "%s", short)
	case strings.HasPrefix(msg, "healthcheck.test must start"):
		// the mapping reports it at the service (healthcheck in convert)
	case matches(serviceRE, msg, &m):
		p.at(keys("services", m[1]), "%s", short)
	default:
		return false
	}
	return true
}

func matches(re *regexp.Regexp, s string, m *[]string) bool {
	*m = re.FindStringSubmatch(s)
	return *m != nil
}

// serviceWith finds, in the source files, the service field k (or an
// entry of it) whose text, or whose field sub for a mapping, satisfies
// ok; its path, or services when none does.
func (p *problems) serviceWith(k, sub string, ok func(string) bool) []step {
	if at := p.serviceEntry(k, sub, ok); at != nil {
		return at
	}
	return keys("services")
}

// serviceEntry is serviceWith's path, nil when no service has one.
func (p *problems) serviceEntry(k, sub string, ok func(string) bool) []step {
	var found []step
	eachService(p.src.files, func(_ *source, svcAt []step, v *yaml.Node) bool {
		fieldEntries(v, k, svcAt, func(n *yaml.Node, at []step) {
			if found == nil && n.Kind == yaml.ScalarNode && ok(n.Value) {
				found = at
			}
			if n.Kind == yaml.MappingNode && found == nil && sub != "" {
				if s := field(n, sub); s != nil && s.Kind == yaml.ScalarNode && ok(s.Value) {
					found = at
				}
			}
		})
		return found == nil
	})
	return found
}

// atEnvLine records a problem of an env file at its own line: the .env
// beside the project (the whole file's problem), or an env_file, whose
// entry in the compose file is the path.
func (p *problems) atEnvLine(abs string, line int, msg string) {
	base := filepath.Base(abs)
	at := p.serviceEntry("env_file", "path", func(v string) bool { return filepath.Base(v) == base })
	name, order := abs, len(p.src.files)
	if f := p.src.byAbs(abs); f != nil {
		name, order = f.name, slices.Index(p.src.files, f)
	}
	p.add(&yamlnode.Error{File: name, Line: max(line, 1), Path: render(at), Msg: oneLine(msg)}, order)
}
