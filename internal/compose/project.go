// Loading a compose project through compose-go: the files, the environment, the project name and profiles, and the model's checks.

package compose

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// loadCompose loads compose files and maps the project onto a topology.
func loadCompose(ctx context.Context, inputs []input, o Options) (*Loaded, error) {
	if o.ProjectName != "" && loader.NormalizeProjectName(o.ProjectName) != o.ProjectName {
		return nil, fmt.Errorf("invalid project name %q: use lower-case letters, digits, - and _, starting with a letter or digit", o.ProjectName)
	}
	registerRawFormat()
	src, err := parseSources(inputs)
	if err != nil {
		return nil, err
	}
	p := newProblems(src)
	restore := captureWarnings(p.note)
	defer restore()
	env := environment(src, o.LookupEnv, p)
	p.versionNotes()
	p.portBudget(env)
	if err := p.err(); err != nil {
		return nil, err
	}
	project := p.load(ctx, env, o)
	if project == nil {
		return nil, p.err()
	}
	t := p.topology(project)
	if err := p.err(); err != nil {
		return nil, err
	}
	return &Loaded{Topology: t, Notes: p.notes}, nil
}

// load runs compose-go: the model (merging, interpolation, the schema),
// then the project (profiles, consistency, env_files). When the
// consistency check fails, the project is made again without it, so that
// the mapping's own problems are reported too. Nil when there is no
// project; the problems are recorded.
func (p *problems) load(ctx context.Context, env types.Mapping, o Options) *types.Project {
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(p.src.files[0].abs),
		Environment: env,
	}
	for _, f := range p.src.files[:p.src.main] {
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: f.abs, Content: f.data})
	}
	name, explicit := p.projectName(o, env, details.WorkingDir)
	p.checkEnvFileEntries()
	if len(p.errs) > 0 {
		return nil
	}
	fns := []func(*loader.Options){
		func(lo *loader.Options) {
			if name != "" {
				lo.SetProjectName(name, explicit)
			}
		},
		loader.WithProfiles(profiles(o, env)),
		loader.WithoutUnnecessaryResources,
	}
	var dict map[string]any
	err := p.guarded(func() (err error) {
		dict, err = loader.LoadModelWithContext(ctx, details, fns...)
		return err
	})
	if err != nil {
		p.compose(err)
		return nil
	}
	name, _ = dict["name"].(string)
	backup := deepClone(dict).(map[string]any)
	opts := loader.ToOptions(&details, fns)
	opts.SetProjectName(name, true)
	var project *types.Project
	err = p.guarded(func() (err error) {
		project, err = loader.ModelToProject(dict, opts, details)
		return err
	})
	if err == nil {
		return project
	}
	p.compose(err)
	opts.SkipConsistencyCheck = true
	err = p.guarded(func() (err error) {
		project, err = loader.ModelToProject(backup, opts, details)
		return err
	})
	if err != nil {
		p.compose(err)
		return nil
	}
	return project
}

// projectName applies compose's precedence: -p, COMPOSE_PROJECT_NAME,
// the files' name: (which compose-go reads, interpolated), the directory.
func (p *problems) projectName(o Options, env types.Mapping, dir string) (string, bool) {
	switch {
	case o.ProjectName != "":
		return o.ProjectName, true
	case env[envProjectName] != "":
		return env[envProjectName], true
	}
	for _, f := range p.src.files[:p.src.main] {
		if n := field(f.root, "name"); n != nil && n.Kind == yaml.ScalarNode && n.Value != "" {
			return "", false
		}
	}
	name := loader.NormalizeProjectName(filepath.Base(dir))
	if name == "" {
		p.atFile(nil, nil, "name", fmt.Sprintf("the directory name %q gives no project name: set name: or -p", filepath.Base(dir)))
	}
	return name, false
}

// profiles are --profile, else COMPOSE_PROFILES.
func profiles(o Options, env types.Mapping) []string {
	if len(o.Profiles) > 0 {
		return o.Profiles
	}
	var out []string
	for _, s := range strings.Split(env[envProfiles], ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// versionNotes says, as compose does, that `version` is ignored.
func (p *problems) versionNotes() {
	for _, f := range p.src.files {
		if f.root != nil && field(f.root, "version") != nil {
			p.note("%s: `version` is obsolete and ignored", f.name)
		}
	}
}

// deepClone copies a compose-go model (maps, lists and scalars).
func deepClone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepClone(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepClone(e)
		}
		return out
	}
	return v
}
