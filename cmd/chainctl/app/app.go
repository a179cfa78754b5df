// Package app is chainctl's command line: one file per verb, each mapping
// its flags to one call into internal/. The environment is read here, once
// (env.go); nothing below cmd/ reads it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/backend"
	"github.com/chainctl/chainctl/internal/compose"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
)

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells and compose report it
)

// globals are the flags every verb shares.
type globals struct {
	project  string
	files    []string // -f, in order (compose files merge)
	profiles []string // --profile
	progress string
	quiet    bool

	env            env
	stdout, stderr io.Writer
}

// errUsage marks command-line mistakes (exit 2).
type errUsage struct{ error }

// usageArgs makes a wrong number of arguments a usage error (exit 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return errUsage{err}
		}
		return nil
	}
}

// errSilent is an error whose message was already printed (exit 1).
var errSilent = errors.New("")

// Run executes chainctl with args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{env: readEnv(), stdout: stdout, stderr: stderr}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "chainctl: interrupted: %v\n", err)
		return exitInterrupted
	case errors.Is(err, errSilent):
		return exitError
	}
	fmt.Fprintf(stderr, "chainctl: %v\n", err)
	var ue errUsage
	// cobra's own check of an unknown verb returns a plain error.
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command ") {
		return exitUsage
	}
	return exitError
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "chainctl",
		Short:         "Run service chains on Docker, break them on purpose, watch them recover",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return errUsage{err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&g.project, "project", "p", "", "project name (default: from -f, $CHAINCTL_PROJECT, or the only project on the engine)")
	pf.StringVar(&g.progress, "progress", "auto", "progress output: auto, tty, plain, json or quiet")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "no progress output")
	root.AddCommand(newVersionCmd(g), newLsCmd(g), newExperimentCmd(g))
	for _, cmd := range []*cobra.Command{
		newConfigCmd(g), newBuildCmd(g), newUpCmd(g), newDownCmd(g), newPSCmd(g), newLogsCmd(g),
		newBreakCmd(g), newHealCmd(g), newPartitionCmd(g), newCallCmd(g), newExportCmd(g), newGraphCmd(g),
		newEventsCmd(g), newStatsCmd(g), newDashboardCmd(g),
	} {
		addFileFlag(cmd, g)
		root.AddCommand(cmd)
	}

	// What TAB offers (complete.go); cobra adds the completion verb.
	registerCompletions(root, g)
	return root
}

// addFileFlag gives a command -f/--file and --profile. They are not
// persistent flags of the root because `logs -f` means follow, as in
// compose.
func addFileFlag(cmd *cobra.Command, g *globals) {
	const usage = "topology or compose file (its project); repeat to merge compose files"
	if cmd.Flags().ShorthandLookup("f") != nil {
		cmd.Flags().StringArrayVar(&g.files, "file", nil, usage)
	} else {
		cmd.Flags().StringArrayVarP(&g.files, "file", "f", nil, usage)
	}
	cmd.Flags().StringArrayVar(&g.profiles, "profile", nil, "compose profile to enable (repeat for several)")
}

// reporter builds the progress reporter the flags ask for, on stderr.
func (g *globals) reporter() (progress.Closer, error) {
	mode := g.progress
	switch {
	case g.quiet:
		return progress.Discard, nil
	case (mode == "auto" || mode == "") && g.env.dumbTerminal:
		mode = "plain"
	}
	return progress.New(mode, g.stderr)
}

// options are what every verb tells the door into the engine.
func (g *globals) options(project, kind string, rep progress.Reporter) backend.Options {
	return backend.Options{
		Project: project, Kind: kind, Progress: rep, APITimeout: g.env.apiTimeout,
		Client: []client.Opt{client.FromEnv}, LockDir: g.env.lockDir, DockerConfig: g.env.dockerConfig,
	}
}

// session is an open project on its backend; close flushes the progress
// output and releases the connection.
type session struct {
	*backend.Session
	rep progress.Closer
}

func (s *session) close() {
	s.rep.Close()
	s.Session.Close()
}

// open resolves the project a verb acts on (-p, else -f's, else
// $CHAINCTL_PROJECT, else the only one on the engine) and opens it on the
// backend it runs on (kind "": wherever it runs).
func (g *globals) open(ctx context.Context, project, kind string) (*session, error) {
	rep, err := g.reporter()
	if err != nil {
		return nil, errUsage{err}
	}
	if project == "" {
		if project, err = g.projectName(); err != nil {
			rep.Close()
			return nil, err
		}
	}
	s, err := backend.Open(ctx, g.options(project, kind, rep))
	if err != nil {
		rep.Close()
		return nil, err
	}
	return &session{Session: s, rep: rep}, nil
}

// loadFile loads the topology named by the positional argument or -f
// (several -f merge compose files), else the compose file of the working
// directory, and prints the loader's notes on stderr.
func (g *globals) loadFile(ctx context.Context, args []string) (*topology.Topology, error) {
	files := g.files
	if len(args) > 0 {
		files = append([]string{args[0]}, files...)
	}
	l, err := compose.Load(ctx, compose.Options{
		Files: files, Dir: g.env.workDir, ProjectName: g.project, Profiles: g.profiles, LookupEnv: g.env.lookup,
	})
	if errors.Is(err, compose.ErrNoFile) {
		return nil, errUsage{fmt.Errorf("no topology file: give FILE or -f FILE, or run where one of %s is", strings.Join(compose.DefaultNames, ", "))}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid topology:\n%w", err)
	}
	for _, n := range l.Notes {
		fmt.Fprintf(g.stderr, "warning: %s\n", n)
	}
	return l.Topology, nil
}

// projectName is the project a file-less verb acts on, "" for the only one
// on the engine.
func (g *globals) projectName() (string, error) {
	switch {
	case g.project != "":
		return g.project, nil
	case len(g.files) > 0:
		t, err := g.loadFile(context.Background(), nil)
		if err != nil {
			return "", err
		}
		return t.Name, nil
	case g.env.project != "":
		return g.env.project, nil
	}
	// As compose does: the compose file of the working directory names
	// the project; without one, the only project on the engine.
	if _, err := compose.Find(g.env.workDir); err != nil {
		return "", nil
	}
	t, err := g.loadFile(context.Background(), nil)
	if err != nil {
		return "", err
	}
	return t.Name, nil
}
