// Shell completion: the services, projects, modes and files TAB offers, from the file or the engine, never hanging.

package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/backend"
	"github.com/chainctl/chainctl/internal/compose"
	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
)

// completeTimeout bounds every engine call a completion makes: a TAB that
// waits longer than this on a slow or absent engine offers nothing.
const completeTimeout = 2 * time.Second

const noFiles = cobra.ShellCompDirectiveNoFileComp

// registerCompletions attaches what the root's flags complete to (-p, the
// projects on the engine; --progress, its values) and makes -f/--file
// offer YAML files on every verb that has it.
func registerCompletions(root *cobra.Command, g *globals) {
	_ = root.RegisterFlagCompletionFunc("project", g.completeProjects)
	_ = root.RegisterFlagCompletionFunc("progress", cobra.FixedCompletions(progress.Modes, noFiles))
	for _, cmd := range root.Commands() {
		if cmd.Flags().Lookup("file") != nil {
			_ = cmd.RegisterFlagCompletionFunc("file", completeYAML)
		}
	}
}

// completeYAML offers the *.yaml and *.yml files (and directories).
func completeYAML(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeFileArg completes the one FILE argument of up, config and export.
func completeFileArg(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, noFiles
	}
	return completeYAML(cmd, args, toComplete)
}

// silent is a copy of g, with its parsed flags, that prints nothing: a
// loader's warning must not land in the middle of a completion. Cobra
// parses a completion's flags twice, so each -f and --profile arrives
// twice: they are kept once each, in order.
func (g *globals) silent() *globals {
	q := *g
	q.stderr = io.Discard
	q.files, q.profiles = once(g.files), once(g.profiles)
	return &q
}

// once keeps the first of each value.
func once(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// completeContext is the command's context, cut short after completeTimeout.
func completeContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completeTimeout)
}

// completeServices offers the project's services, at most limit arguments
// (0: any number), leaving out those already given.
func (g *globals) completeServices(limit int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		// heal --partition takes no service.
		if (limit > 0 && len(args) >= limit) || cmd.Flags().Changed("partition") {
			return nil, noFiles
		}
		ctx, cancel := completeContext(cmd)
		defer cancel()
		var out []cobra.Completion
		for _, s := range g.silent().serviceNames(ctx) {
			given := slices.ContainsFunc(args, func(a string) bool { name, _, _ := strings.Cut(a, "/"); return name == s })
			if !given && strings.HasPrefix(s, toComplete) {
				out = append(out, s)
			}
		}
		return out, noFiles
	}
}

// completeGroups completes partition's comma-separated groups: each
// service once, whichever group names it.
func (g *globals) completeGroups(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completeContext(cmd)
	defer cancel()
	return commaList(g.silent().serviceNames(ctx), strings.Join(args, ","), toComplete), noFiles
}

// completeServiceList completes a flag that takes comma-separated services
// (break --from).
func (g *globals) completeServiceList(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completeContext(cmd)
	defer cancel()
	return commaList(g.silent().serviceNames(ctx), "", toComplete), noFiles
}

// commaList completes the last item of a comma-separated list toComplete
// with names that neither the list nor taken (also comma-separated) holds.
func commaList(names []string, taken, toComplete string) []cobra.Completion {
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	used := strings.Split(taken+","+done, ",")
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, last) && !slices.Contains(used, n) {
			out = append(out, done+n)
		}
	}
	return out
}

// serviceNames are the services of the file when -f is given, else of the
// running project, else of the compose file of the working directory; nil
// when none can be read in time.
func (g *globals) serviceNames(ctx context.Context) []string {
	if len(g.files) == 0 {
		if names := g.runningServices(ctx); len(names) > 0 {
			return names
		}
		if _, err := compose.Find(g.env.workDir); err != nil {
			return nil
		}
	}
	t, err := g.loadFile(ctx, nil)
	if err != nil {
		return nil
	}
	return t.ServiceNames()
}

// runningServices are the services of the project's containers (tasks).
func (g *globals) runningServices(ctx context.Context) []string {
	project, err := g.projectName()
	if err != nil {
		return nil
	}
	s, err := backend.Open(ctx, g.options(project, "", progress.Discard))
	if err != nil {
		return nil
	}
	defer s.Close()
	rows, err := s.PS(ctx, s.Project)
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range rows {
		if !slices.Contains(out, r.Service) {
			out = append(out, r.Service)
		}
	}
	slices.Sort(out)
	return out
}

// completeProjects offers the projects on the engine, with their engine
// and state.
func (g *globals) completeProjects(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completeContext(cmd)
	defer cancel()
	ps, err := backend.Projects(ctx, g.options("", "", progress.Discard))
	if err != nil {
		return nil, noFiles
	}
	var out []cobra.Completion
	for _, p := range ps {
		if strings.HasPrefix(p.Name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(p.Name, fmt.Sprintf("%s, %d services, %s", p.Engine, p.Services, p.State)))
		}
	}
	return out, noFiles
}

// completeModes offers break's modes on the engine the project runs on
// (every backend's when that cannot be told), each with its help.
func (g *globals) completeModes(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completeContext(cmd)
	defer cancel()
	return modeCompletions(g.silent().projectKind(ctx)), noFiles
}

// modeCompletions are the modes of one kind of engine, or of all ("").
func modeCompletions(kind string) []cobra.Completion {
	kinds := engine.Kinds
	if kind != "" {
		kinds = []string{kind}
	}
	var names, out []string
	for _, k := range kinds {
		for _, m := range backend.Modes(k) {
			if !slices.Contains(names, m.Name) {
				names = append(names, m.Name)
				out = append(out, cobra.CompletionWithDesc(m.Name, m.Help))
			}
		}
	}
	return out
}

// projectKind is the engine (docker or swarm) the project runs on, "" when
// it does not run or the engine does not answer.
func (g *globals) projectKind(ctx context.Context) string {
	project, err := g.projectName()
	if err != nil {
		return ""
	}
	ps, err := backend.Projects(ctx, g.options("", "", progress.Discard))
	if err != nil {
		return ""
	}
	for _, p := range ps {
		if p.Name == project || (project == "" && len(ps) == 1) {
			return p.Engine
		}
	}
	return ""
}
