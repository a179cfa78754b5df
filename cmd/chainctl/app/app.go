// Package app is chainctl's command line: one file per verb, each mapping
// its flags to one call into internal/.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
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
	file     string
	progress string
	quiet    bool

	stdout, stderr io.Writer
}

// errUsage marks command-line mistakes (exit 2).
type errUsage struct{ error }

// errSilent is an error whose message was already printed (exit 1).
var errSilent = errors.New("")

// Run executes chainctl with args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
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
	if errors.As(err, &ue) {
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
	root.AddCommand(newVersionCmd(g), newLsCmd(g))
	for _, cmd := range []*cobra.Command{
		newConfigCmd(g), newUpCmd(g), newDownCmd(g), newPSCmd(g), newLogsCmd(g),
		newBreakCmd(g), newHealCmd(g), newCallCmd(g), newExportCmd(g),
	} {
		addFileFlag(cmd, g)
		root.AddCommand(cmd)
	}
	return root
}

// addFileFlag gives a command -f/--file. It is not a persistent flag of
// the root because `logs -f` means follow, as in compose.
func addFileFlag(cmd *cobra.Command, g *globals) {
	if cmd.Flags().ShorthandLookup("f") != nil {
		cmd.Flags().StringVar(&g.file, "file", "", "topology file (its project)")
		return
	}
	cmd.Flags().StringVarP(&g.file, "file", "f", "", "topology file (its project)")
}

// reporter builds the progress reporter the flags ask for, on stderr.
func (g *globals) reporter() (progress.Closer, error) {
	if g.quiet {
		return progress.Discard, nil
	}
	return progress.New(g.progress, g.stderr)
}

// connect opens the engine with the requested progress reporter; the
// returned func flushes the reporter and closes the client.
func (g *globals) connect(ctx context.Context) (*engine.Engine, func(), error) {
	rep, err := g.reporter()
	if err != nil {
		return nil, nil, errUsage{err}
	}
	e, err := engine.Connect(ctx, rep)
	if err != nil {
		rep.Close()
		return nil, nil, err
	}
	return e, func() { rep.Close(); e.Close() }, nil
}

// loadFile loads the topology named by the positional argument or -f.
func (g *globals) loadFile(args []string) (*topology.Topology, error) {
	path := g.file
	if len(args) > 0 {
		path = args[0]
	}
	if path == "" {
		return nil, errUsage{errors.New("no topology file: give FILE or -f FILE")}
	}
	t, err := topology.Load(path)
	if err != nil {
		return nil, fmt.Errorf("invalid topology:\n%w", err)
	}
	if g.project != "" {
		t.Rename(g.project)
	}
	return t, nil
}

// openProject connects, resolves the project a file-less verb acts on and
// the backend it runs on (docker or swarm, from what the engine holds);
// done flushes progress and closes the client.
func (g *globals) openProject(ctx context.Context) (b engine.Backend, project string, done func(), err error) {
	e, done, err := g.connect(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	project, err = g.projectName(ctx, e)
	if err == nil {
		b, err = e.Backend(ctx, project, "")
	}
	if err != nil {
		done()
		return nil, "", nil, err
	}
	return b, project, done, nil
}

// projectName resolves which project a file-less verb acts on.
func (g *globals) projectName(ctx context.Context, e *engine.Engine) (string, error) {
	if g.project == "" && g.file != "" {
		t, err := g.loadFile(nil)
		if err != nil {
			return "", err
		}
		return t.Name, nil
	}
	return e.ResolveProject(ctx, g.project)
}
