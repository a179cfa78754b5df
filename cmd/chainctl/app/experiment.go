// The experiment verb: run an experiment file (load, faults on a timeline, the hypothesis) and write its journal, JUnit and report; or validate one.

package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/compose"
	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/experiment"
	"github.com/chainctl/chainctl/internal/report"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/version"
)

type experimentFlags struct {
	seed      int64
	jsonOut   string
	junitOut  string
	reportOut string
	up, down  bool
	seedGiven bool
}

func newExperimentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "experiment",
		Short: "Run chaos experiments: a steady-state hypothesis, faults on a timeline, open-loop load, measured recovery",
	}
	var f experimentFlags
	run := &cobra.Command{
		Use:   "run FILE",
		Short: "Run an experiment; exit 0 when the hypothesis held, 1 when it did not",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.seedGiven = cmd.Flags().Changed("seed")
			return runExperiment(cmd, g, f, args[0])
		},
	}
	fl := run.Flags()
	fl.Int64Var(&f.seed, "seed", 0, "seed of the random steps (default: a random one, printed and kept in the journal)")
	fl.StringVar(&f.jsonOut, "json", "", "write the journal (everything measured) to this file")
	fl.StringVar(&f.junitOut, "junit", "", "write one JUnit testcase per hypothesis line to this file")
	fl.StringVar(&f.reportOut, "report", "", "write the HTML report (one self-contained page) to this file")
	fl.BoolVar(&f.up, "up", false, "bring the topology up first")
	fl.BoolVar(&f.down, "down", false, "bring the project down at the end")
	validate := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check an experiment file without running it",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			e, err := experiment.Load(args[0], g.env.lookup)
			if err != nil {
				return fmt.Errorf("invalid experiment:\n%w", err)
			}
			fmt.Fprintf(g.stdout, "%s: experiment %s is valid (%d steps over %s)\n", args[0], e.Name, len(e.Method), e.Duration)
			return nil
		},
	}
	cmd.AddCommand(run, validate, newExperimentReportCmd(g))
	return cmd
}

// newExperimentReportCmd renders a journal again: the report is a view of
// the journal and of nothing else, so it can be made later, elsewhere.
func newExperimentReportCmd(g *globals) *cobra.Command {
	var out, png string
	cmd := &cobra.Command{
		Use:   "report JOURNAL.json --out FILE.html [--png FILE.png]",
		Short: "Render the HTML report of a journal written by experiment run --json (and a screenshot of it, with headless Chromium)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errUsage{fmt.Errorf("--out FILE.html is required")}
			}
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var j experiment.Journal
			if err := json.Unmarshal(raw, &j); err != nil || j.Experiment == nil {
				return fmt.Errorf("%s is not a journal of chainctl experiment run --json: %v", args[0], err)
			}
			if err := writeFile(out, func(w *os.File) error { return report.Render(w, &j) }); err != nil {
				return err
			}
			if png == "" {
				return nil
			}
			return report.Screenshot(cmd.Context(), out, png)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the report here")
	cmd.Flags().StringVar(&png, "png", "", "also write a full-page screenshot of it here (needs chromium)")
	return cmd
}

func runExperiment(cmd *cobra.Command, g *globals, f experimentFlags, path string) error {
	e, err := experiment.Load(path, g.env.lookup)
	if err != nil {
		return fmt.Errorf("invalid experiment:\n%w", err)
	}
	t, project, err := experimentTopology(cmd.Context(), g, e)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, project, "")
	if err != nil {
		return err
	}
	defer s.close()
	if f.up {
		if _, err := s.Up(ctx, t, engine.UpOptions{}); err != nil {
			return err
		}
	}
	if t == nil {
		if t, err = recordedTopology(ctx, s, project); err != nil {
			return err
		}
	}
	o, err := experiment.Prepare(ctx, s, e, t, project)
	if err != nil {
		return err
	}
	o.Seed, o.Version, o.Progress = seedOf(f), version.String(), g.stderr
	fmt.Fprintf(g.stderr, "experiment %s on %s: %s at %g/s for %s, seed %d\n", e.Name, project, o.URL, e.Load.Rate, e.Duration, o.Seed)
	j, runErr := experiment.Run(ctx, e, o)
	if j != nil {
		if err := writeOutputs(g, f, j); err != nil {
			return err
		}
	}
	if f.down && ctx.Err() == nil {
		if _, err := s.Down(ctx, project, engine.DownOptions{}); err != nil {
			return err
		}
	}
	switch {
	case runErr != nil:
		return runErr
	case j.Verdict != experiment.VerdictHeld:
		return errSilent
	}
	return nil
}

// experimentTopology is the topology the file names (nil for a project
// already up) and the project to run on.
func experimentTopology(ctx context.Context, g *globals, e *experiment.Experiment) (*topology.Topology, string, error) {
	if e.Topology == "" {
		return nil, e.Project, nil
	}
	l, err := compose.Load(ctx, compose.Options{Files: []string{e.Topology}, ProjectName: g.project, Profiles: g.profiles, LookupEnv: g.env.lookup})
	if err != nil {
		return nil, "", fmt.Errorf("topology of experiment %s:\n%w", e.Name, err)
	}
	for _, n := range l.Notes {
		fmt.Fprintf(g.stderr, "warning: %s\n", n)
	}
	return l.Topology, l.Topology.Name, nil
}

// recordedTopology rebuilds a running project's topology from ps, for the
// names and the graph (without calls) when the file names only a project.
func recordedTopology(ctx context.Context, s *session, project string) (*topology.Topology, error) {
	rows, err := s.PS(ctx, project)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("project %s has no containers: bring it up first, or give the experiment a topology and --up", project)
	}
	t := &topology.Topology{Name: project, Services: map[string]*topology.Service{}}
	for _, r := range rows {
		t.Services[r.Service] = &topology.Service{Name: r.Service}
	}
	return t, nil
}

func seedOf(f experimentFlags) int64 {
	if f.seedGiven {
		return f.seed
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) >> 1)
}

// writeOutputs prints the summary and writes what the flags ask for, all
// from the journal.
func writeOutputs(g *globals, f experimentFlags, j *experiment.Journal) error {
	if err := experiment.WriteSummary(g.stdout, j); err != nil {
		return err
	}
	write := func(path string, fn func(*os.File) error) error {
		if path == "" {
			return nil
		}
		return writeFile(path, fn)
	}
	return errors.Join(
		write(f.jsonOut, func(w *os.File) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(j)
		}),
		write(f.junitOut, func(w *os.File) error { return experiment.WriteJUnit(w, j) }),
		write(f.reportOut, func(w *os.File) error { return report.Render(w, j) }),
	)
}

// writeFile writes path (and the folders it needs) with fn.
func writeFile(path string, fn func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(out); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return out.Close()
}
