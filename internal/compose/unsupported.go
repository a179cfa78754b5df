// Fields the mapping does not carry: every set field of a compose-go struct outside its handled list is refused (or, for no-ops compose itself ignores, noted), found by reflection so that a field compose-go adds can never be dropped silently.

package compose

import (
	"reflect"
	"slices"
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
)

// handled are the yaml keys the mapping reads, per compose-go struct (by
// the kind a path starts with: "service", "build", "port", ...).
var handled = map[string][]string{
	"service": {"name", "profiles", "deploy", "restart", "scale", "container_name", "extends", "links",
		"cap_add", "cap_drop", "command", "configs", "dns", "dns_opt", "dns_search", "domainname",
		"entrypoint", "environment", "env_file", "extra_hosts", "group_add", "hostname", "image", "init",
		"labels", "label_file", "mac_address", "network_mode", "networks", "pids_limit", "platform",
		"privileged", "pull_policy", "read_only", "runtime", "secrets", "security_opt", "shm_size",
		"stop_grace_period", "stop_signal", "sysctls", "tmpfs", "ulimits", "user", "volumes", "working_dir",
		"cpus", "mem_limit", "mem_reservation", "cpu_shares", "ipc", "pid", "userns_mode", "logging",
		"build", "depends_on", "expose", "healthcheck", "ports", "stdin_open", "tty"},
	"build":          {"context", "dockerfile", "dockerfile_inline", "args", "target", "labels"},
	"logging":        {"driver", "options"},
	"port":           {"mode", "host_ip", "target", "published", "protocol"},
	"volume":         {"type", "source", "target", "read_only", "bind", "volume", "tmpfs"},
	"volume.bind":    {"selinux", "propagation", "create_host_path"},
	"volume.volume":  {"nocopy"},
	"volume.tmpfs":   {"size", "mode"},
	"network":        {"aliases", "ipv4_address", "ipv6_address", "priority"},
	"deploy":         {"mode", "replicas", "resources", "restart_policy", "endpoint_mode"},
	"resources":      {"limits", "reservations"},
	"limits":         {"cpus", "memory", "pids"},
	"reservations":   {"memory"},
	"restart_policy": {"condition", "max_attempts"},
	"healthcheck":    {"test", "timeout", "interval", "retries", "start_period", "disable"},
	"file":           {"source", "target", "mode"},
	"inline":         {"source", "target", "mode"},
	"depends_on":     {"condition", "restart", "required"},
	"top.network":    {"name", "driver", "driver_opts", "ipam", "external", "internal", "attachable", "labels", "enable_ipv4", "enable_ipv6"},
	"ipam":           {"driver", "config"},
	"ipam.config":    {"subnet", "gateway"},
	"top.volume":     {"name", "driver", "driver_opts", "external", "labels"},
	"top.file":       {"name", "file", "environment", "content"},
}

// ignored are keys compose itself ignores on a single engine: they are
// noted, not refused. The value says why.
var ignored = map[string]string{
	"service.attach":         "chainctl attaches to no service's output",
	"port.name":              "the engine has no port names",
	"port.app_protocol":      "the engine has no application protocols",
	"volume.consistency":     "it matters to Docker Desktop on macOS only",
	"deploy.labels":          "they label swarm services only",
	"deploy.update_config":   "it configures swarm rolling updates only",
	"deploy.rollback_config": "it configures swarm rollbacks only",
	"deploy.placement":       "it places swarm tasks on nodes only",
	"file.uid":               "a file secret or config is bind-mounted with the file's own owner",
	"file.gid":               "a file secret or config is bind-mounted with the file's own owner",
}

// reasons say why a refused key is refused, where there is more to say
// than that chainctl does not support it.
var reasons = map[string]string{
	"service.develop":             "chainctl does not watch files",
	"service.post_start":          "chainctl runs no lifecycle hooks",
	"service.pre_stop":            "chainctl runs no lifecycle hooks",
	"service.pre_start":           "chainctl runs no lifecycle hooks",
	"service.provider":            "chainctl runs containers, not providers",
	"service.external_links":      "chainctl links the services of its own project only",
	"service.net":                 "the legacy key: use network_mode",
	"service.log_driver":          "the legacy key: use logging",
	"service.log_opt":             "the legacy key: use logging",
	"service.volumes_from":        "share a named volume instead",
	"service.devices":             "chainctl passes no host devices to containers",
	"service.gpus":                "chainctl passes no host devices to containers",
	"service.device_cgroup_rules": "chainctl passes no host devices to containers",
	"service.uts":                 "chainctl sets the ipc, pid and user namespace modes and network_mode only",
	"service.cgroup":              "chainctl sets the ipc, pid and user namespace modes and network_mode only",
	"service.use_api_socket":      "it would hand the container the Docker socket",
	"service.credential_spec":     "it is for Windows containers",
	"service.isolation":           "it is for Windows containers",
	"service.models":              "models are a Docker Desktop feature",
	"service.dockerfile":          "write it under build:",
	"build":                       "chainctl's build (the engine's ImageBuild) takes context, dockerfile, dockerfile_inline, args, target and labels only",
	"build.ssh":                   buildkitReason,
	"build.secrets":               buildkitReason,
	"build.additional_contexts":   buildkitReason,
	"build.platforms":             buildkitReason,
	"build.entitlements":          buildkitReason,
	"build.privileged":            buildkitReason,
	"build.cache_to":              buildkitReason,
	"build.no_cache_filter":       buildkitReason,
	"build.provenance":            buildkitReason,
	"build.sbom":                  buildkitReason,
	"volume.image":                "image mounts need Engine API 1.48 (Docker 28), and chainctl maps none yet",
	"volume.volume.subpath":       "volume subpaths need Engine API 1.45 (Docker 26), and chainctl maps none yet",
	"volume.bind.recursive":       "chainctl's bind mounts are recursive, as the engine's are by default",
	"network.gw_priority":         "the model has no gateway priority: the first network by priority is the service's first",
	"network.mac_address":         "set the service's mac_address",
	"network.interface_name":      "an endpoint's interface name needs Engine API 1.49 (Docker 28.1), and chainctl maps none yet",
	"deploy.mode":                 "chainctl runs a fixed number of replicas (deploy.replicas): global mode has no equivalent",
	"limits":                      "chainctl limits cpus, memory and pids only",
	"reservations":                "the engine reserves memory only (other reservations are swarm scheduling hints)",
	"restart_policy":              "the engine's restart policy has no delay or window",
	"healthcheck.start_interval":  "it needs Engine API 1.44 (Docker 25), and the model has no start_interval yet",
	"inline.uid":                  "chainctl copies an inline config in owned by root: use a file: config (bind-mounted with the file's own owner)",
	"inline.gid":                  "chainctl copies an inline config in owned by root: use a file: config (bind-mounted with the file's own owner)",
	"top.file.external":           "external secrets and configs exist in a swarm only: use file:",
	"ipam":                        "chainctl's networks take one subnet and gateway",
	"ipam.config":                 "chainctl's networks take one subnet and gateway",
	"service.cpu_count":           cpuReason,
	"service.cpu_percent":         cpuReason,
	"service.cpu_period":          cpuReason,
	"service.cpu_quota":           cpuReason,
	"service.cpu_rt_period":       cpuReason,
	"service.cpu_rt_runtime":      cpuReason,
	"service.cpuset":              cpuReason,
	"service.blkio_config":        cpuReason,
	"service.memswap_limit":       cpuReason,
	"service.mem_swappiness":      cpuReason,
	"service.oom_kill_disable":    cpuReason,
	"service.oom_score_adj":       cpuReason,
	"service.storage_opt":         cpuReason,
	"service.cgroup_parent":       cpuReason,
}

// buildkitReason is why BuildKit's build keys are refused.
const buildkitReason = "it needs BuildKit, and chainctl builds through the Engine API's classic builder " +
	"(ImageBuild without the BuildKit session that buildx or the docker CLI would open)"

const cpuReason = "chainctl limits cpus, cpu_shares, memory (mem_limit, mem_reservation) and pids only"

// unmapped refuses each set field of v (a compose-go struct, or a pointer
// to one) that the kind's handled list lacks, at path, and notes those
// compose ignores. Embedded (inline) structs are walked; the x-*
// extensions are left to their readers.
func (p *problems) unmapped(v any, kind string, at []step) {
	p.unmappedAt(v, kind, at, render(at))
}

// unmappedAt is unmapped for an entry found by the path find and shown
// in messages as shown (a list entry found by what it mentions).
func (p *problems) unmappedAt(v any, kind string, find []step, shown string) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return
		}
		rv = rv.Elem()
	}
	for _, k := range setKeys(rv) {
		if slices.Contains(handled[kind], k) {
			continue
		}
		path, where := sub(find, key(k)), yamlnode.Join(shown, k)
		if why, ok := ignored[kind+"."+k]; ok {
			l := p.src.locate(path, nil)
			p.note("%s:%d: %s is ignored, as compose ignores it: %s", l.file.name, l.line, where, why)
			continue
		}
		p.refuse(path, where, kind, k)
	}
}

// refuse records a key chainctl does not support, with the reason there is.
func (p *problems) refuse(path []step, shown, kind, k string) {
	why, ok := reasons[kind+"."+k]
	if !ok {
		why = reasons[kind]
	}
	msg := "not supported by chainctl"
	if why != "" {
		msg += ": " + why
	}
	p.atFile(path, nil, shown, msg)
}

// setKeys are the yaml keys of a struct's fields that hold a value.
func setKeys(rv reflect.Value) []string {
	if rv.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || strings.HasPrefix(name, "#"):
			continue // derived, or the x-* extensions
		case strings.Contains(opts, "inline"):
			out = append(out, setKeys(rv.Field(i))...)
		case name == "":
			if isSet(rv.Field(i)) {
				out = append(out, strings.ToLower(f.Name))
			}
		case isSet(rv.Field(i)):
			out = append(out, name)
		}
	}
	return out
}

// isSet says whether a field holds a value: an empty map or list does
// not; a type that says whether it is zero (compose-go's OptOut, true by
// default) is asked.
func isSet(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Map, reflect.Slice:
		return v.Len() > 0
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil()
	}
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		return !z.IsZero()
	}
	return !v.IsZero()
}
